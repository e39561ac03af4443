package io.moxie.encoders.pointcloud.decode;

import io.moxie.api.InvalidInputException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Reads the points of a NumPy {@code .npz} archive: its {@code points.npy} entry, or its only entry. Stateless and
 * thread-safe.
 */
final class NpzPoints {
    /** A deflated entry can expand enormously: refuse one over 1 GiB rather than exhaust memory. */
    private static final int MAX_ENTRY_BYTES = 1 << 30;

    private NpzPoints() {
    }

    static boolean looksLikeNpz(byte[] bytes) {
        return bytes.length >= 4 && bytes[0] == 'P' && bytes[1] == 'K' && bytes[2] == 3 && bytes[3] == 4;
    }

    static DecodedPoints read(byte[] bytes) {
        List<String> names = new ArrayList<>();
        byte[] only = null;
        String onlyName = null;
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(bytes))) {
            for (ZipEntry e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                if (e.isDirectory()) {
                    continue;
                }
                names.add(e.getName());
                byte[] data = zip.readNBytes(MAX_ENTRY_BYTES);
                if (zip.read() != -1) {
                    throw new InvalidInputException(".npz entry '" + e.getName() + "' is larger than "
                            + MAX_ENTRY_BYTES + " bytes");
                }
                if (e.getName().equals("points.npy")) {
                    return NpyPoints.read(data, ".npz entry 'points.npy'");
                }
                if (only == null) {
                    only = data;
                    onlyName = e.getName();
                }
            }
        } catch (IOException e) {
            throw new InvalidInputException("malformed .npz archive: " + e.getMessage());
        }
        if (names.size() == 1 && onlyName.endsWith(".npy")) {
            return NpyPoints.read(only, ".npz entry '" + onlyName + "'");
        }
        throw new InvalidInputException(".npz archive has no 'points' array (entries: " + names + ")");
    }
}
