package io.moxie.encoders.pointcloud.decode;

import io.moxie.api.InvalidInputException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Reads the vertices of a PLY file (ASCII or binary little-endian) as points: {@code x y z} (float or double,
 * rounded to float32) and, when the vertex has {@code red green blue} (uchar), those three as floats in [0, 255]
 * (the ScanNet convention of README-octavius §1). Other vertex properties and other elements are skipped.
 *
 * <p>Refused with an {@link InvalidInputException} naming the problem: a malformed header, big-endian data,
 * unknown property types, x/y/z that are not float or double, colour that is not uchar or incomplete, and a body
 * shorter than the header declares. Stateless and thread-safe.
 */
final class PlyReader {
    private PlyReader() {
    }

    /** Returns whether {@code bytes} start like a PLY file. */
    static boolean looksLikePly(byte[] bytes) {
        return bytes.length >= 4 && bytes[0] == 'p' && bytes[1] == 'l' && bytes[2] == 'y'
                && (bytes[3] == '\n' || bytes[3] == '\r');
    }

    static DecodedPoints read(byte[] bytes) {
        PlyHeader header = PlyHeader.parse(bytes);
        PlyHeader.Element vertex = null;
        for (PlyHeader.Element e : header.elements()) {
            if (e.name().equals("vertex")) {
                vertex = e;
                break;
            }
        }
        if (vertex == null) {
            throw PlyHeader.bad("no 'vertex' element");
        }
        int[] columns = columns(vertex);
        if (vertex.count() > Integer.MAX_VALUE / columns.length) {
            throw PlyHeader.bad("too many vertices (" + vertex.count() + ")");
        }
        return header.binary() ? readBinary(bytes, header, vertex, columns) : readAscii(bytes, header, vertex, columns);
    }

    /** Positions of x, y, z (and red, green, blue when present) among the vertex properties. */
    private static int[] columns(PlyHeader.Element vertex) {
        String[] xyz = {"x", "y", "z"};
        String[] rgb = {"red", "green", "blue"};
        int present = 0;
        for (String c : rgb) {
            present += vertex.property(c) != null ? 1 : 0;
        }
        if (present != 0 && present != 3) {
            throw PlyHeader.bad("vertex colour needs all of red, green, blue (found " + present + " of them)");
        }
        int[] out = new int[present == 3 ? 6 : 3];
        for (int i = 0; i < out.length; i++) {
            String name = i < 3 ? xyz[i] : rgb[i - 3];
            PlyHeader.Property p = vertex.property(name);
            if (p == null) {
                throw PlyHeader.bad("vertex has no '" + name + "' property");
            }
            if (i < 3 && (p.isList() || !p.type().isFloatingPoint())) {
                throw PlyHeader.bad("vertex property '" + name + "' is " + describe(p) + "; x, y, z must be float or double");
            }
            if (i >= 3 && (p.isList() || p.type() != PlyType.UCHAR)) {
                throw PlyHeader.bad("vertex colour '" + name + "' is " + describe(p) + "; only uchar colour is supported");
            }
            out[i] = vertex.properties().indexOf(p);
        }
        return out;
    }

    private static String describe(PlyHeader.Property p) {
        return p.isList() ? "a list" : "of type " + p.type();
    }

    private static DecodedPoints readBinary(byte[] bytes, PlyHeader header, PlyHeader.Element vertex, int[] columns) {
        ByteBuffer le = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int at = header.bodyOffset();
        for (PlyHeader.Element e : header.elements()) {
            if (e == vertex) {
                break;
            }
            at = skipBinary(le, e, at);
        }
        int n = (int) vertex.count();
        float[] out = new float[n * columns.length];
        List<PlyHeader.Property> props = vertex.properties();
        if (!vertex.hasLists()) {
            int row = vertex.rowBytes();
            long need = (long) n * row;
            if (bytes.length - at < need) {
                throw truncated(n + " vertices of " + row + " bytes need " + need + " bytes of data, found "
                        + (bytes.length - at));
            }
            int[] offsets = new int[props.size()];
            for (int i = 1; i < offsets.length; i++) {
                offsets[i] = offsets[i - 1] + props.get(i - 1).type().bytes();
            }
            for (int v = 0; v < n; v++, at += row) {
                for (int c = 0; c < columns.length; c++) {
                    PlyHeader.Property p = props.get(columns[c]);
                    out[v * columns.length + c] = toFloat(p.type(), at + offsets[columns[c]], le);
                }
            }
            return DecodedPoints.rows(out, n, columns.length);
        }
        int[] offsets = new int[props.size()];
        for (int v = 0; v < n; v++) {
            for (int i = 0; i < props.size(); i++) {
                offsets[i] = at;
                at = skipProperty(le, props.get(i), at, "vertex " + v);
            }
            for (int c = 0; c < columns.length; c++) {
                out[v * columns.length + c] = toFloat(props.get(columns[c]).type(), offsets[columns[c]], le);
            }
        }
        return DecodedPoints.rows(out, n, columns.length);
    }

    /** float and uchar widen exactly; double is rounded to float32 once, as numpy's astype does. */
    private static float toFloat(PlyType type, int offset, ByteBuffer le) {
        return type == PlyType.FLOAT ? le.getFloat(offset) : (float) type.read(le, offset);
    }

    private static int skipBinary(ByteBuffer le, PlyHeader.Element e, int at) {
        if (!e.hasLists()) {
            long need = e.count() * e.rowBytes();
            if (le.capacity() - at < need) {
                throw truncated("element '" + e.name() + "' needs " + need + " bytes, found " + (le.capacity() - at));
            }
            return (int) (at + need);
        }
        for (long r = 0; r < e.count(); r++) {
            for (PlyHeader.Property p : e.properties()) {
                at = skipProperty(le, p, at, "element '" + e.name() + "' row " + r);
            }
        }
        return at;
    }

    private static int skipProperty(ByteBuffer le, PlyHeader.Property p, int at, String where) {
        if (!p.isList()) {
            return require(le, at, p.type().bytes(), where);
        }
        int afterCount = require(le, at, p.countType().bytes(), where);
        double count = p.countType().read(le, at);
        if (count < 0) {
            throw PlyHeader.bad(where + ": negative list length");
        }
        return require(le, afterCount, (long) count * p.type().bytes(), where);
    }

    private static int require(ByteBuffer le, int at, long bytes, String where) {
        if (le.capacity() - at < bytes) {
            throw truncated(where + " runs past the end of the data");
        }
        return (int) (at + bytes);
    }

    private static DecodedPoints readAscii(byte[] bytes, PlyHeader header, PlyHeader.Element vertex, int[] columns) {
        AsciiTokens tokens = new AsciiTokens(bytes, header.bodyOffset());
        for (PlyHeader.Element e : header.elements()) {
            if (e == vertex) {
                break;
            }
            for (long r = 0; r < e.count(); r++) {
                for (PlyHeader.Property p : e.properties()) {
                    skipAscii(tokens, p, "element '" + e.name() + "' row " + r);
                }
            }
        }
        int n = (int) vertex.count();
        // every vertex needs at least "a b c\n": refuse an impossible count before allocating for it
        if ((long) n * 2 * vertex.properties().size() > bytes.length - header.bodyOffset() + 1L) {
            throw truncated("the header declares " + n + " vertices but the body has only "
                    + (bytes.length - header.bodyOffset()) + " bytes");
        }
        List<PlyHeader.Property> props = vertex.properties();
        float[] out = new float[n * columns.length];
        float[] row = new float[props.size()];
        for (int v = 0; v < n; v++) {
            String where = "vertex " + v + " of " + n;
            for (int i = 0; i < props.size(); i++) {
                PlyHeader.Property p = props.get(i);
                if (p.isList()) {
                    skipAscii(tokens, p, where);
                } else {
                    row[i] = parse(tokens.next(where), p, where);
                }
            }
            for (int c = 0; c < columns.length; c++) {
                out[v * columns.length + c] = row[columns[c]];
            }
        }
        return DecodedPoints.rows(out, n, columns.length);
    }

    private static void skipAscii(AsciiTokens tokens, PlyHeader.Property p, String where) {
        if (!p.isList()) {
            tokens.next(where);
            return;
        }
        String countToken = tokens.next(where);
        long count;
        try {
            count = Long.parseLong(countToken);
        } catch (NumberFormatException e) {
            throw PlyHeader.bad(where + ": list length '" + countToken + "' is not an integer");
        }
        for (long k = 0; k < count; k++) {
            tokens.next(where);
        }
    }

    private static float parse(String token, PlyHeader.Property p, String where) {
        try {
            if (p.type() == PlyType.FLOAT) {
                return Float.parseFloat(token);
            }
            if (p.type() == PlyType.DOUBLE) {
                return (float) Double.parseDouble(token);
            }
            long v = Long.parseLong(token);
            if (p.type() == PlyType.UCHAR && (v < 0 || v > 255)) {
                throw PlyHeader.bad(where + ": '" + p.name() + "' value " + v + " is outside 0..255");
            }
            return v;
        } catch (NumberFormatException e) {
            throw PlyHeader.bad(where + ": '" + token + "' is not a valid " + p.type() + " for '" + p.name() + "'");
        }
    }

    static InvalidInputException truncated(String detail) {
        return new InvalidInputException("truncated PLY: " + detail);
    }
}
