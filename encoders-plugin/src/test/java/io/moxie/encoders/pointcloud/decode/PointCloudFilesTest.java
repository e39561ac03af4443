package io.moxie.encoders.pointcloud.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moxie.api.InvalidInputException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

/** PLY (ASCII and binary, with and without colour), .npy and .npz bytes, and the errors for malformed files. */
class PointCloudFilesTest {
    private static final float[] XYZ = {0.5f, -1.25f, 3f, 1e-7f, 2.5e3f, -0.1f};
    private static final float[] XYZRGB = {0.5f, -1.25f, 3f, 255, 0, 17, 1e-7f, 2.5e3f, -0.1f, 1, 2, 3};

    @Test
    void asciiPlyWithoutColourGivesXyz() {
        DecodedPoints p = PointCloudFiles.decode(ascii("""
                ply
                format ascii 1.0
                comment made by hand
                element vertex 2
                property float x
                property float y
                property float z
                end_header
                0.5 -1.25 3
                1e-7 2.5e3 -0.1
                """));
        assertArrayEquals(new long[] {2, 3}, p.shape());
        assertArrayEquals(XYZ, p.values());
    }

    @Test
    void asciiPlyWithColourAndExtraElementsGivesXyzRgb() {
        DecodedPoints p = PointCloudFiles.decode(ascii("""
                ply
                format ascii 1.0
                element camera 1
                property float fov
                element vertex 2
                property double x
                property double y
                property double z
                property float nx
                property uchar red
                property uchar green
                property uchar blue
                property list uchar int tags
                element face 1
                property list uchar int vertex_indices
                end_header
                60
                0.5 -1.25 3 0.0 255 0 17 2 7 8
                1e-7 2.5e3 -0.1 1.0 1 2 3 0
                3 0 1 1
                """));
        assertArrayEquals(new long[] {2, 6}, p.shape());
        assertArrayEquals(XYZRGB, p.values());
    }

    @Test
    void binaryPlyWithoutColourGivesXyz() {
        ByteBuffer body = le(2 * 12);
        for (float v : XYZ) {
            body.putFloat(v);
        }
        DecodedPoints p = PointCloudFiles.decode(binary("""
                ply
                format binary_little_endian 1.0
                element vertex 2
                property float x
                property float y
                property float z
                end_header
                """, body));
        assertArrayEquals(new long[] {2, 3}, p.shape());
        assertArrayEquals(XYZ, p.values());
    }

    @Test
    void binaryPlyWithColourDoublesAndListsGivesXyzRgb() {
        ByteBuffer body = le(80);
        body.put((byte) 2).putInt(7).putInt(8);                // face row before the vertices: a list of 2 ints
        for (int v = 0; v < 2; v++) {
            body.putDouble(XYZRGB[v * 6]).putDouble(XYZRGB[v * 6 + 1]).putDouble(XYZRGB[v * 6 + 2]);
            body.putShort((short) -3);                           // an ignored property between xyz and colour
            body.put((byte) XYZRGB[v * 6 + 3]).put((byte) XYZRGB[v * 6 + 4]).put((byte) XYZRGB[v * 6 + 5]);
        }
        DecodedPoints p = PointCloudFiles.decode(binary("""
                ply
                format binary_little_endian 1.0
                element face 1
                property list uchar int vertex_indices
                element vertex 2
                property float64 x
                property float64 y
                property float64 z
                property int16 label
                property uint8 red
                property uint8 green
                property uint8 blue
                end_header
                """, body));
        assertArrayEquals(new long[] {2, 6}, p.shape());
        assertArrayEquals(XYZRGB, p.values());
    }

    @Test
    void npyAndNpzBytesGiveTheirArray() throws IOException {
        byte[] npy = npy("<f4", "(2, 3)", XYZ, false);
        DecodedPoints p = PointCloudFiles.decode(npy);
        assertArrayEquals(new long[] {2, 3}, p.shape());
        assertArrayEquals(XYZ, p.values());
        float[] columnMajor = {XYZ[0], XYZ[3], XYZ[1], XYZ[4], XYZ[2], XYZ[5]};
        assertArrayEquals(XYZ, PointCloudFiles.decode(npy("<f8", "(2, 3)", columnMajor, true)).values());
        assertArrayEquals(XYZ, PointCloudFiles.decode(npz("boxes.npy", npy("<f4", "(1, 6)", XYZ, false),
                "points.npy", npy)).values());
    }

    @Test
    void truncatedFilesAreRefusedNamingTheProblem() {
        String header = "ply\nformat binary_little_endian 1.0\nelement vertex 3\nproperty float x\nproperty float y\n"
                + "property float z\nend_header\n";
        assertMessage("truncated PLY: 3 vertices of 12 bytes need 36 bytes of data, found 24",
                binary(header, le(24).put(new byte[24])));
        String asciiHeader = "ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\n"
                + "property float z\nend_header\n";
        assertMessage("truncated PLY: vertex 1 of 2 is missing", ascii(asciiHeader + "1 2 3\n4 5        \n"));
        assertMessage("truncated PLY: the header declares 2 vertices but the body has only 6 bytes",
                ascii(asciiHeader + "1 2 3\n"));
        assertMessage("header has no end_header line", ascii("ply\nformat ascii 1.0\nelement vertex 2\nproperty flo"));
        assertMessage("data is truncated: shape [2, 3] needs 24 bytes, found 12",
                Arrays.copyOf(npy("<f4", "(2, 3)", XYZ, false), 140));
        assertMessage("malformed .npy array: truncated header", Arrays.copyOf(npy("<f4", "(2, 3)", XYZ, false), 100));
    }

    @Test
    void wrongHeadersAreRefusedNamingTheProblem() {
        assertMessage("not a PLY, .npy or .npz file (it starts with 'solid cu')", ascii("solid cube\nfacet normal 0 0 1\n"));
        assertMessage("header has no 'format' line", ascii("ply\nelement vertex 0\nend_header\n"));
        assertMessage("format binary_big_endian is not supported",
                ascii("ply\nformat binary_big_endian 1.0\nelement vertex 0\nend_header\n"));
        assertMessage("header line 3 'vertex 2' is not a PLY header line",
                ascii("ply\nformat ascii 1.0\nvertex 2\nend_header\n"));
        assertMessage("no 'vertex' element", ascii("ply\nformat ascii 1.0\nelement face 0\nend_header\n"));
        assertMessage("vertex has no 'z' property",
                ascii("ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nend_header\n1 2\n"));
        assertMessage("the file is empty", new byte[0]);
    }

    @Test
    void unsupportedPropertyTypesAreRefusedNamingTheProperty() {
        assertMessage("unsupported property type 'float128' (element 'vertex', property 'x')",
                ascii("ply\nformat ascii 1.0\nelement vertex 1\nproperty float128 x\nend_header\n1\n"));
        assertMessage("vertex property 'y' is of type int; x, y, z must be float or double",
                ascii("ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty int y\nproperty float z\n"
                        + "end_header\n1 2 3\n"));
        assertMessage("vertex colour 'green' is of type float; only uchar colour is supported",
                ascii("ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\n"
                        + "property uchar red\nproperty float green\nproperty uchar blue\nend_header\n1 2 3 4 5 6\n"));
        assertMessage("vertex colour needs all of red, green, blue (found 1 of them)",
                ascii("ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\n"
                        + "property uchar red\nend_header\n1 2 3 4\n"));
        assertMessage("dtype '<i8' is not supported", npy("<i8", "(1, 3)", new float[] {0, 0, 0, 0, 0, 0}, false));
    }

    private static void assertMessage(String expected, byte[] file) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> PointCloudFiles.decode(file));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    static ByteBuffer le(int capacity) {
        return ByteBuffer.allocate(capacity).order(ByteOrder.LITTLE_ENDIAN);
    }

    static byte[] binary(String header, ByteBuffer body) {
        byte[] h = ascii(header);
        byte[] out = Arrays.copyOf(h, h.length + body.position());
        System.arraycopy(body.array(), 0, out, h.length, body.position());
        return out;
    }

    /** A .npy file (version 1.0) of {@code values} written as {@code descr} (f4 or f8, i8 as zeros). */
    static byte[] npy(String descr, String shape, float[] values, boolean fortran) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': "
                + shape + ", }";
        int item = descr.endsWith("4") ? 4 : 8;
        String header = dict + " ".repeat(63 - (10 + dict.length()) % 64) + "\n";
        ByteBuffer b = le(10 + header.length() + values.length * item);
        b.put((byte) 0x93).put(ascii("NUMPY")).put((byte) 1).put((byte) 0).putShort((short) header.length());
        b.put(ascii(header));
        for (float v : values) {
            if (item == 4) {
                b.putFloat(v);
            } else if (descr.contains("f")) {
                b.putDouble(v);
            } else {
                b.putLong((long) v);
            }
        }
        return b.array();
    }

    static byte[] npz(String name1, byte[] entry1, String name2, byte[] entry2) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry(name1));
            zip.write(entry1);
            zip.putNextEntry(new ZipEntry(name2));
            zip.write(entry2);
        }
        return out.toByteArray();
    }
}
