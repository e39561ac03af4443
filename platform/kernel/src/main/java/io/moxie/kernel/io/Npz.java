package io.moxie.kernel.io;

import io.moxie.api.InvalidInputException;
import io.moxie.kernel.tensor.HostTensor;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * Reads and writes NumPy {@code .npz} archives: a zip of {@code <name>.npy} entries, stored or deflated, each read
 * and written by {@link Npy} (same dtypes and limits).
 *
 * <p>Errors are {@link InvalidInputException}s naming the file and, where it applies, the entry: a missing file, a
 * file that is not a zip archive or is truncated, an entry that is not {@code .npy}, two entries with one name, or
 * a bad array. Stateless and thread-safe.
 */
public final class Npz {
    /** The timestamp numpy's np.savez gives every entry (zipfile.ZipInfo's default); it keeps output reproducible. */
    private static final LocalDateTime ENTRY_TIME = LocalDateTime.of(1980, 1, 1, 0, 0);
    private static final String SUFFIX = ".npy";

    private Npz() {}

    /**
     * Reads every array in {@code path}, keyed by entry name without {@code .npy}, in archive order. The tensors
     * are heap copies the caller owns.
     *
     * @throws InvalidInputException if the archive or any entry in it cannot be read as described above
     */
    public static LinkedHashMap<String, HostTensor> read(Path path) {
        if (!Files.isRegularFile(path)) {
            throw new InvalidInputException(path + ": no such file");
        }
        try (ZipFile zip = new ZipFile(path.toFile())) {
            LinkedHashMap<String, HostTensor> out = new LinkedHashMap<>();
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                if (entry.isDirectory()) {
                    continue;
                }
                String name = entry.getName();
                if (!name.endsWith(SUFFIX)) {
                    throw new InvalidInputException(path + ": entry '" + name + "' is not a .npy array");
                }
                String key = name.substring(0, name.length() - SUFFIX.length());
                if (out.containsKey(key)) {
                    throw new InvalidInputException(path + ": entry '" + name + "' appears twice");
                }
                try (InputStream in = zip.getInputStream(entry)) {
                    out.put(key, Npy.read(in, path + " entry '" + name + "'"));
                }
            }
            return out;
        } catch (ZipException e) {
            throw invalid(path + ": not a readable .npz (zip) archive, truncated or corrupt: " + e.getMessage(), e);
        } catch (IOException e) {
            throw invalid(path + ": cannot read: " + e, e);
        }
    }

    /**
     * Writes {@code arrays} to {@code path} as numpy's {@code np.savez} does: one stored (uncompressed) entry
     * {@code <key>.npy} per array, in the map's order, replacing the file atomically.
     *
     * @throws IllegalArgumentException if a tensor's dtype has no numpy equivalent
     * @throws IOException              if the file cannot be written (the target is then left as it was)
     */
    public static void write(Path path, Map<String, HostTensor> arrays) throws IOException {
        write(path, arrays, false);
    }

    /** As {@link #write}, with deflated entries like {@code np.savez_compressed}. */
    public static void writeCompressed(Path path, Map<String, HostTensor> arrays) throws IOException {
        write(path, arrays, true);
    }

    private static void write(Path path, Map<String, HostTensor> arrays, boolean deflate) throws IOException {
        Map<String, byte[]> headers = new LinkedHashMap<>();
        for (Map.Entry<String, HostTensor> e : arrays.entrySet()) {
            try {
                headers.put(e.getKey(), Npy.header(e.getValue()));
            } catch (IllegalArgumentException bad) {
                throw new IllegalArgumentException("array '" + e.getKey() + "': " + bad.getMessage(), bad);
            }
        }
        AtomicFileWriter.write(path, temporary -> {
            try (ZipOutputStream zip = new ZipOutputStream(new BufferedOutputStream(Files.newOutputStream(temporary)))) {
                for (Map.Entry<String, HostTensor> e : arrays.entrySet()) {
                    byte[] header = headers.get(e.getKey());
                    ByteBuffer data = e.getValue().data();
                    ZipEntry entry = new ZipEntry(e.getKey() + SUFFIX);
                    entry.setTimeLocal(ENTRY_TIME);
                    if (deflate) {
                        entry.setMethod(ZipEntry.DEFLATED);
                    } else {
                        // a stored entry must announce its size and checksum before its data
                        CRC32 crc = new CRC32();
                        crc.update(header);
                        crc.update(data.duplicate());
                        long size = (long) header.length + data.remaining();
                        entry.setMethod(ZipEntry.STORED);
                        entry.setSize(size);
                        entry.setCompressedSize(size);
                        entry.setCrc(crc.getValue());
                    }
                    zip.putNextEntry(entry);
                    zip.write(header);
                    Npy.copy(data, zip);
                    zip.closeEntry();
                }
            }
        });
    }

    private static InvalidInputException invalid(String message, Throwable cause) {
        InvalidInputException e = new InvalidInputException(message);
        e.initCause(cause);
        return e;
    }
}
