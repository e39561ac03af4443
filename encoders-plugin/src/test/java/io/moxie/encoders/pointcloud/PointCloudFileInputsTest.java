package io.moxie.encoders.pointcloud;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moxie.kernel.io.Npy;
import io.moxie.kernel.io.Npz;
import io.moxie.kernel.tensor.HostTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A golden scene sent as the bytes of a file gives the same outputs as the array itself: binary PLY with colour, ASCII
 * PLY without, and .npy; sent as {@code points_file}, or as {@code points} (what {@code --input points=scene.ply}
 * sends: the default pipeline routes encoded {@code points} to {@code points_file}).
 */
class PointCloudFileInputsTest {
    private static OctaviusPipelines pipelines;

    @BeforeAll
    static void start() {
        pipelines = new OctaviusPipelines();
    }

    @AfterAll
    static void stop() {
        pipelines.close();
    }

    @Test
    void aBinaryPlyWithColourGivesTheGoldenOutputs() {
        assertGolden("3d-color", "points", points -> binaryPly(points.toFloatArray(), (int) points.shape()[1]));
    }

    @Test
    void anAsciiPlyWithoutColourGivesTheGoldenOutputs() {
        assertGolden("3d-tiny", "points_file", points -> asciiPly(points.toFloatArray()));
    }

    @Test
    void npyBytesGiveTheGoldenOutputs() {
        assertGolden("3d-sparse-box", "points", Npy::toBytes);
    }

    private static void assertGolden(String name, String input, java.util.function.Function<HostTensor, byte[]> encode) {
        Path dir = OctaviusPipelines.goldenCase(name);
        String pipeline = pipelines.deploy(dir);
        Map<String, HostTensor> in = Npz.read(dir.resolve("inputs.npz"));
        Map<String, HostTensor> out = pipelines.infer(pipeline, Map.of(
                input, HostTensor.ofBytes(encode.apply(in.get("points"))), "boxes", in.get("boxes")));
        GoldenComparison.Report report = GoldenComparison.compare(dir, out);
        assertTrue(report.failures().isEmpty(), name + ": " + report.failures());
    }

    /** Binary little-endian PLY: float x y z, and uchar red green blue when there are 6 columns. */
    static byte[] binaryPly(float[] rows, int columns) {
        int n = rows.length / columns;
        boolean colour = columns == 6;
        String header = "ply\nformat binary_little_endian 1.0\ncomment written by a Moxie test\nelement vertex " + n
                + "\nproperty float x\nproperty float y\nproperty float z\n"
                + (colour ? "property uchar red\nproperty uchar green\nproperty uchar blue\n" : "") + "end_header\n";
        byte[] h = header.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(h.length + n * (colour ? 15 : 12)).order(ByteOrder.LITTLE_ENDIAN);
        b.put(h);
        for (int i = 0; i < n; i++) {
            b.putFloat(rows[i * columns]).putFloat(rows[i * columns + 1]).putFloat(rows[i * columns + 2]);
            if (colour) {
                b.put((byte) rows[i * columns + 3]).put((byte) rows[i * columns + 4]).put((byte) rows[i * columns + 5]);
            }
        }
        return b.array();
    }

    /** ASCII PLY of xyz rows; Java's shortest float text reads back to the same float. */
    static byte[] asciiPly(float[] xyz) {
        int n = xyz.length / 3;
        StringBuilder sb = new StringBuilder("ply\r\nformat ascii 1.0\r\nelement vertex " + n
                + "\r\nproperty float x\r\nproperty float y\r\nproperty float z\r\nend_header\r\n");
        for (int i = 0; i < n; i++) {
            sb.append(xyz[i * 3]).append(' ').append(xyz[i * 3 + 1]).append(' ').append(xyz[i * 3 + 2]).append("\r\n");
        }
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }
}
