package io.moxie.kernel.io;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The dict at the start of a .npy file, e.g. {@code {'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }}:
 * parsing and validating it, and formatting it exactly as numpy 1.x does.
 */
record NpyHeader(NpyDtype dtype, long[] shape) {
    private static final Set<String> KEYS = Set.of("descr", "fortran_order", "shape");
    /** numpy aligns the data to this many bytes (numpy.lib.format.ARRAY_ALIGN). */
    private static final int ALIGN = 64;
    /** numpy leaves room to grow the first dimension to this many digits (GROWTH_AXIS_MAX_DIGITS). */
    private static final int GROWTH_DIGITS = 21;

    /**
     * @throws IllegalArgumentException describing what is wrong, for the caller to wrap with the file's name
     */
    static NpyHeader parse(String text) {
        Object literal;
        try {
            literal = PythonLiteral.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("header is not a Python literal (" + e.getMessage() + "): " + text.strip());
        }
        if (!(literal instanceof Map<?, ?> dict)) {
            throw new IllegalArgumentException("header is not a dict: " + text.strip());
        }
        for (Object key : dict.keySet()) {
            if (!KEYS.contains(key)) {
                throw new IllegalArgumentException("unexpected header key " + key + " (numpy writes only descr, "
                        + "fortran_order and shape)");
            }
        }
        for (String key : KEYS) {
            if (!dict.containsKey(key)) {
                throw new IllegalArgumentException("header lacks '" + key + "': " + text.strip());
            }
        }
        Object descr = dict.get("descr");
        if (!(descr instanceof String descrText)) {
            throw new IllegalArgumentException("structured dtype " + descr + " is not supported");
        }
        NpyDtype dtype = NpyDtype.fromDescr(descrText);
        if (dtype == null) {
            if (descrText.startsWith(">")) {
                throw new IllegalArgumentException("big-endian dtype '" + descrText + "' is not supported; save "
                        + "little-endian (arr.astype(arr.dtype.newbyteorder('<')))");
            }
            throw new IllegalArgumentException("unsupported dtype '" + descrText + "' (supported: "
                    + NpyDtype.supportedDescrs() + ")");
        }
        Object fortran = dict.get("fortran_order");
        if (!(fortran instanceof Boolean)) {
            throw new IllegalArgumentException("fortran_order is not True or False: " + fortran);
        }
        if ((Boolean) fortran) {
            throw new IllegalArgumentException("fortran_order True (column-major data) is not supported; save "
                    + "np.ascontiguousarray(arr)");
        }
        return new NpyHeader(dtype, shapeOf(dict.get("shape")));
    }

    private static long[] shapeOf(Object shape) {
        if (!(shape instanceof PythonLiteral.Tuple tuple)) {
            throw new IllegalArgumentException("shape is not a tuple: " + shape);
        }
        List<Object> items = tuple.items();
        long[] out = new long[items.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(items.get(i) instanceof Long d) || d < 0) {
                throw new IllegalArgumentException("shape has a dimension that is not a non-negative integer: "
                        + items);
            }
            out[i] = d;
        }
        return out;
    }

    /** Number of data bytes the header announces, or -1 if that overflows a long. */
    long byteCount() {
        try {
            long n = dtype.dataType().getNumOfBytes();
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        } catch (ArithmeticException overflow) {
            return -1;
        }
    }

    /**
     * The magic, version, header length and padded header, byte for byte as numpy's {@code write_array} writes
     * them with its default version choice (1.0, or 2.0 for a header longer than 65535 bytes).
     */
    byte[] format() {
        StringBuilder dict = new StringBuilder("{'descr': '").append(dtype.descr())
                .append("', 'fortran_order': False, 'shape': ").append(shapeRepr()).append(", }");
        if (shape.length > 0) {
            dict.append(" ".repeat(GROWTH_DIGITS - Long.toString(shape[0]).length()));
        }
        byte[] text = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
        int headerLength = text.length + 1; // the final newline
        int prefix = 10; // magic, version, u16 length
        int padding = ALIGN - (prefix + headerLength) % ALIGN; // numpy pads a full 64 rather than 0
        if (headerLength + padding > 0xFFFF) {
            prefix = 12; // version 2.0: a u32 length
            padding = ALIGN - (prefix + headerLength) % ALIGN;
        }
        int total = headerLength + padding;
        byte[] out = new byte[prefix + total];
        byte[] magic = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
        System.arraycopy(magic, 0, out, 0, 6);
        out[6] = (byte) (prefix == 10 ? 1 : 2);
        out[7] = 0;
        out[8] = (byte) total;
        out[9] = (byte) (total >>> 8);
        if (prefix == 12) {
            out[10] = (byte) (total >>> 16);
            out[11] = (byte) (total >>> 24);
        }
        System.arraycopy(text, 0, out, prefix, text.length);
        for (int i = prefix + text.length; i < out.length - 1; i++) {
            out[i] = ' ';
        }
        out[out.length - 1] = '\n';
        return out;
    }

    /** Python's repr of the shape tuple: {@code ()}, {@code (5,)}, {@code (2, 3)}. */
    private String shapeRepr() {
        if (shape.length == 1) {
            return "(" + shape[0] + ",)";
        }
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            s.append(i > 0 ? ", " : "").append(shape[i]);
        }
        return s.append(')').toString();
    }
}
