package io.moxie.encoders.image;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/** Just enough of NumPy's .npz/.npy format for these tests: little-endian uint8 and float32, C order. */
final class Npz {
    private static final Pattern DESCR = Pattern.compile("'descr':\\s*'([^']*)'");
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order':\\s*True");

    /** One array: dtype string as NumPy writes it, shape, raw data. */
    record Array(String descr, int[] shape, byte[] data) {
        byte[] uint8() {
            if (!descr.equals("|u1")) {
                throw new IllegalStateException("not uint8: " + descr);
            }
            return data;
        }

        float[] float32() {
            if (!descr.equals("<f4")) {
                throw new IllegalStateException("not little-endian float32: " + descr);
            }
            float[] out = new float[data.length / 4];
            ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }
    }

    private Npz() {
    }

    static Map<String, Array> read(byte[] npz) {
        Map<String, Array> out = new HashMap<>();
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(npz))) {
            for (ZipEntry e; (e = zip.getNextEntry()) != null; ) {
                String name = e.getName().endsWith(".npy") ? e.getName().substring(0, e.getName().length() - 4)
                        : e.getName();
                out.put(name, npy(zip.readAllBytes()));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static Array npy(byte[] b) {
        if ((b[0] & 0xFF) != 0x93 || b[1] != 'N' || b[2] != 'U' || b[3] != 'M' || b[4] != 'P' || b[5] != 'Y') {
            throw new IllegalArgumentException("not a .npy array");
        }
        int major = b[6];
        int headerLength = major == 1 ? (b[8] & 0xFF) | (b[9] & 0xFF) << 8
                : (b[8] & 0xFF) | (b[9] & 0xFF) << 8 | (b[10] & 0xFF) << 16 | (b[11] & 0xFF) << 24;
        int start = major == 1 ? 10 : 12;
        String header = new String(b, start, headerLength, StandardCharsets.ISO_8859_1);
        if (FORTRAN.matcher(header).find()) {
            throw new IllegalArgumentException("Fortran-ordered arrays are not supported");
        }
        Matcher d = DESCR.matcher(header);
        Matcher s = SHAPE.matcher(header);
        if (!d.find() || !s.find()) {
            throw new IllegalArgumentException("bad .npy header: " + header);
        }
        String dims = s.group(1).trim();
        int[] shape = dims.isEmpty() ? new int[0]
                : java.util.Arrays.stream(dims.split(",")).map(String::trim).filter(t -> !t.isEmpty())
                        .mapToInt(Integer::parseInt).toArray();
        int dataStart = start + headerLength;
        return new Array(d.group(1), shape, java.util.Arrays.copyOfRange(b, dataStart, b.length));
    }
}
