package io.moxie.kernel.io;

import io.moxie.api.InvalidInputException;
import io.moxie.kernel.tensor.HostTensor;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Reads and writes NumPy {@code .npy} arrays as {@link HostTensor}s.
 *
 * <p>Reading accepts format versions 1.0, 2.0 and 3.0 and the dtypes {@code <f8 <f4 <f2 <i8 <i4 <i2 |i1 <u8 <u4
 * <u2 |u1 |b1} (DJL FLOAT64, FLOAT32, FLOAT16, INT64, INT32, INT16, INT8, UINT64, UINT32, UINT16, UINT8, BOOLEAN),
 * any shape including the scalar {@code ()}. It refuses, with an {@link InvalidInputException} naming the source
 * and the problem: a bad magic, an unsupported version, a truncated or malformed header, big-endian, structured,
 * string, complex or object dtypes, {@code fortran_order: True}, data shorter than the shape says, and bytes after
 * the data. Arrays over 2 GiB are refused too.
 *
 * <p>Writing produces exactly numpy's bytes ({@code np.save} with its default version: 1.0, header padded so the
 * data starts on a 64-byte boundary). Stateless and thread-safe.
 */
public final class Npy {
    /** numpy itself refuses headers over 10000 bytes by default; this only stops absurd allocations. */
    private static final int MAX_HEADER_BYTES = 1 << 20;
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};

    private Npy() {}

    /**
     * Reads the array in {@code path}. The result is a heap copy the caller owns.
     *
     * @throws InvalidInputException if the file is missing, unreadable or not a supported .npy array
     */
    public static HostTensor read(Path path) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(path))) {
            return read(in, path.toString());
        } catch (NoSuchFileException e) {
            throw invalid(path + ": no such file", e);
        } catch (IOException e) {
            throw invalid(path + ": cannot read: " + e, e);
        }
    }

    /**
     * Reads one array from {@code in}, which must end where the data ends. Does not close {@code in}.
     *
     * @param source names the array in errors, e.g. {@code "inputs.npz entry 'x.npy'"}
     * @throws InvalidInputException if the stream is unreadable or not a supported .npy array
     */
    public static HostTensor read(InputStream in, String source) {
        try {
            byte[] start = in.readNBytes(8);
            if (start.length < 8) {
                throw invalid(source + ": truncated: " + start.length + " bytes, not even a .npy magic and version");
            }
            for (int i = 0; i < MAGIC.length; i++) {
                if (start[i] != MAGIC[i]) {
                    throw invalid(source + ": bad magic: not a .npy array (it must start with \\x93NUMPY)");
                }
            }
            int major = start[6] & 0xFF;
            int minor = start[7] & 0xFF;
            if (major < 1 || major > 3 || minor != 0) {
                throw invalid(source + ": unsupported .npy format version " + major + "." + minor
                        + " (1.0, 2.0 and 3.0 are supported)");
            }
            byte[] lengthBytes = in.readNBytes(major == 1 ? 2 : 4);
            if (lengthBytes.length < (major == 1 ? 2 : 4)) {
                throw invalid(source + ": truncated inside the header length");
            }
            long headerLength = 0;
            for (int i = lengthBytes.length - 1; i >= 0; i--) {
                headerLength = (headerLength << 8) | (lengthBytes[i] & 0xFF);
            }
            if (headerLength > MAX_HEADER_BYTES) {
                throw invalid(source + ": header length " + headerLength + " is absurd (over 1 MiB)");
            }
            byte[] headerBytes = in.readNBytes((int) headerLength);
            if (headerBytes.length < headerLength) {
                throw invalid(source + ": truncated header: " + headerBytes.length + " of " + headerLength + " bytes");
            }
            // versions 1 and 2 are latin-1, version 3 is UTF-8 (numpy.lib.format._header_size_info)
            String text = new String(headerBytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
            NpyHeader header;
            try {
                header = NpyHeader.parse(text);
            } catch (IllegalArgumentException e) {
                throw invalid(source + ": bad header: " + e.getMessage());
            }
            long expected = header.byteCount();
            String described = header.dtype().descr() + Arrays.toString(header.shape());
            if (expected < 0 || expected > Integer.MAX_VALUE - 16) {
                throw invalid(source + ": array " + described + " is too large (over 2 GiB) to read");
            }
            // readNBytes grows its buffer as data arrives, so a lying header cannot force a huge allocation
            byte[] data = in.readNBytes((int) expected);
            if (data.length < expected) {
                throw invalid(source + ": data shorter than the shape says: " + described + " needs " + expected
                        + " bytes, found " + data.length);
            }
            if (in.read() != -1) {
                throw invalid(source + ": bytes after the data of " + described
                        + " (the header's shape does not match the data)");
            }
            return new HostTensor(header.dtype().dataType(), header.shape(), ByteBuffer.wrap(data));
        } catch (IOException e) {
            throw invalid(source + ": cannot read: " + e, e);
        }
    }

    /**
     * Returns {@code tensor} as the bytes of a .npy file, identical to what numpy's {@code np.save} writes.
     *
     * @throws IllegalArgumentException if the dtype has no numpy equivalent (BFLOAT16, for instance: convert it
     *     with {@link Float32Widening#toFloat32} first) or the result would exceed 2 GiB
     */
    public static byte[] toBytes(HostTensor tensor) {
        byte[] header = header(tensor);
        ByteBuffer data = tensor.data();
        if ((long) header.length + data.remaining() > Integer.MAX_VALUE - 16) {
            throw new IllegalArgumentException(tensor + " is too large (over 2 GiB) for one .npy byte array");
        }
        byte[] out = new byte[header.length + data.remaining()];
        System.arraycopy(header, 0, out, 0, header.length);
        data.get(out, header.length, data.remaining());
        return out;
    }

    /**
     * Writes {@code tensor} to {@code path} as numpy would, replacing the file atomically.
     *
     * @throws IllegalArgumentException if the dtype has no numpy equivalent
     * @throws IOException              if the file cannot be written (the target is then left as it was)
     */
    public static void write(Path path, HostTensor tensor) throws IOException {
        byte[] header = header(tensor);
        AtomicFileWriter.write(path, temporary -> {
            try (OutputStream out = Files.newOutputStream(temporary)) {
                out.write(header);
                copy(tensor.data(), out);
            }
        });
    }

    /** The magic, version and padded header dict for {@code tensor}. */
    static byte[] header(HostTensor tensor) {
        NpyDtype dtype = NpyDtype.fromDataType(tensor.dataType());
        if (dtype == null) {
            throw new IllegalArgumentException("a " + tensor.dataType().name() + " tensor has no .npy dtype (supported: "
                    + NpyDtype.supportedDescrs() + ")");
        }
        return new NpyHeader(dtype, tensor.shape()).format();
    }

    /** Streams {@code data} without copying all of it at once (it may be a large mapped view). */
    static void copy(ByteBuffer data, OutputStream out) throws IOException {
        if (data.hasArray()) {
            out.write(data.array(), data.arrayOffset() + data.position(), data.remaining());
            return;
        }
        byte[] chunk = new byte[Math.min(data.remaining(), 1 << 16)];
        while (data.hasRemaining()) {
            int n = Math.min(chunk.length, data.remaining());
            data.get(chunk, 0, n);
            out.write(chunk, 0, n);
        }
    }

    private static InvalidInputException invalid(String message) {
        return new InvalidInputException(message);
    }

    private static InvalidInputException invalid(String message, Throwable cause) {
        InvalidInputException e = new InvalidInputException(message);
        e.initCause(cause);
        return e;
    }
}
