package io.moxie.encoders.pointcloud.decode;

import io.moxie.api.InvalidInputException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a NumPy {@code .npy} array of float32 ({@code <f4}) or float64 ({@code <f8}, rounded to float32) values,
 * format versions 1 to 3, C or Fortran order, any shape (the caller checks that it is {@code [N, 3|6]}). Other
 * dtypes, big-endian data, malformed headers and short data are refused with an {@link InvalidInputException}.
 * Stateless and thread-safe.
 */
final class NpyPoints {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private NpyPoints() {
    }

    static boolean looksLikeNpy(byte[] bytes) {
        if (bytes.length < MAGIC.length) {
            return false;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (bytes[i] != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    /** @param source names the array in messages, e.g. {@code ".npy"} or {@code ".npz entry 'points.npy'"} */
    static DecodedPoints read(byte[] bytes, String source) {
        if (bytes.length < 10) {
            throw bad(source, "truncated header");
        }
        int major = bytes[6] & 0xff;
        ByteBuffer le = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLength;
        int headerStart;
        if (major == 1) {
            headerLength = le.getShort(8) & 0xffff;
            headerStart = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) {
                throw bad(source, "truncated header");
            }
            headerLength = le.getInt(8) & 0xffffffffL;
            headerStart = 12;
        } else {
            throw bad(source, "unsupported format version " + major);
        }
        if (headerStart + headerLength > bytes.length) {
            throw bad(source, "truncated header");
        }
        String header = new String(bytes, headerStart, (int) headerLength, StandardCharsets.ISO_8859_1);
        String descr = find(DESCR, header, source, "descr");
        boolean fortran = find(FORTRAN, header, source, "fortran_order").equals("True");
        long[] shape = shape(find(SHAPE, header, source, "shape"), source);
        int itemSize = switch (descr) {
            case "<f4" -> 4;
            case "<f8" -> 8;
            default -> throw bad(source, "dtype '" + descr + "' is not supported; points must be float32 or float64"
                    + " (little-endian)");
        };
        long count = 1;
        for (long d : shape) {
            count = Math.multiplyExact(count, d);
        }
        int dataStart = (int) (headerStart + headerLength);
        if (count > Integer.MAX_VALUE || bytes.length - dataStart < count * itemSize) {
            throw bad(source, "data is truncated: shape " + java.util.Arrays.toString(shape) + " needs "
                    + count * itemSize + " bytes, found " + (bytes.length - dataStart));
        }
        float[] values = new float[(int) count];
        for (int i = 0; i < values.length; i++) {
            int at = dataStart + i * itemSize;
            values[i] = itemSize == 4 ? le.getFloat(at) : (float) le.getDouble(at);
        }
        return new DecodedPoints(fortran && shape.length == 2 ? transpose(values, shape) : values, shape);
    }

    private static float[] transpose(float[] columnMajor, long[] shape) {
        int rows = (int) shape[0];
        int cols = (int) shape[1];
        float[] out = new float[columnMajor.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[r * cols + c] = columnMajor[c * rows + r];
            }
        }
        return out;
    }

    private static long[] shape(String text, String source) {
        String[] parts = text.split(",");
        int n = 0;
        long[] dims = new long[parts.length];
        for (String p : parts) {
            String t = p.trim();
            if (t.isEmpty()) {
                continue;
            }
            try {
                dims[n] = Long.parseLong(t);
            } catch (NumberFormatException e) {
                throw bad(source, "malformed shape (" + text + ")");
            }
            if (dims[n] < 0) {
                throw bad(source, "malformed shape (" + text + ")");
            }
            n++;
        }
        return java.util.Arrays.copyOf(dims, n);
    }

    private static String find(Pattern p, String header, String source, String key) {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw bad(source, "header has no valid '" + key + "'");
        }
        return m.group(1);
    }

    private static InvalidInputException bad(String source, String problem) {
        return new InvalidInputException("malformed " + source + " array: " + problem);
    }
}
