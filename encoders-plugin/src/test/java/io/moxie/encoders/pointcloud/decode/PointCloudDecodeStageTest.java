package io.moxie.encoders.pointcloud.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.InvalidInputException;
import io.moxie.testkit.TestRequest;
import java.nio.ByteBuffer;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The decode stage on its own: arrays pass through, the bytes of a file are decoded and checked alike. */
class PointCloudDecodeStageTest {
    private final NDManager manager = NDManager.newBaseManager();
    private final PointCloudDecodeStage stage = new PointCloudDecodeStage();
    private final TestRequest request = new TestRequest(manager);

    @AfterEach
    void close() {
        request.close();
        manager.close();
    }

    @Test
    void float32PointsPassThroughAndFloat64PointsAreRounded() {
        NDArray xyz = manager.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3));
        assertSame(xyz, stage.run(Map.of("points", xyz), request).get("points"));
        NDArray wide = manager.create(new double[] {0.1, 0.2, 0.3}, new Shape(1, 3));
        NDArray out = stage.run(Map.of("points", wide), request).get("points");
        assertArrayEquals(new float[] {0.1f, 0.2f, 0.3f}, out.toFloatArray());
    }

    @Test
    void fileBytesAreDecoded() {
        byte[] ply = PointCloudFilesTest.ascii("ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\n"
                + "property float y\nproperty float z\nproperty uchar red\nproperty uchar green\nproperty uchar blue\n"
                + "end_header\n1 2 3 10 20 30\n");
        NDArray out = stage.run(Map.of("points_file", bytes(ply)), request).get("points");
        assertArrayEquals(new long[] {1, 6}, out.getShape().getShape());
        assertArrayEquals(new float[] {1, 2, 3, 10, 20, 30}, out.toFloatArray());
    }

    @Test
    void decodedPointsAreCheckedLikeArrays() {
        byte[] nan = PointCloudFilesTest.ascii("ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\n"
                + "property float y\nproperty float z\nend_header\nNaN 0 0\n");
        assertMessage("points contain NaN or infinity", Map.of("points_file", bytes(nan)));
        byte[] empty = PointCloudFilesTest.ascii("ply\nformat ascii 1.0\nelement vertex 0\nproperty float x\n"
                + "property float y\nproperty float z\nend_header\n");
        assertMessage("points is empty", Map.of("points_file", bytes(empty)));
        byte[] badShape = PointCloudFilesTest.npy("<f4", "(2, 2)", new float[] {1, 2, 3, 4}, false);
        assertMessage("points must have shape [N,3] or [N,6], got [2, 2]", Map.of("points_file", bytes(badShape)));
        assertMessage("points_file: truncated PLY", Map.of("points_file", bytes(java.util.Arrays.copyOf(nan, nan.length - 9))));
        assertMessage("points must be floating point", Map.of("points", manager.create(new int[] {1, 2, 3}, new Shape(1, 3))));
    }

    private void assertMessage(String expected, Map<String, NDArray> inputs) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> stage.run(inputs, request));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    private NDArray bytes(byte[] b) {
        return manager.create(ByteBuffer.wrap(b), new Shape(b.length), DataType.UINT8);
    }
}
