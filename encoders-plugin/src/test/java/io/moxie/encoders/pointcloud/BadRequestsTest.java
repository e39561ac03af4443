package io.moxie.encoders.pointcloud;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moxie.api.InvalidInputException;
import io.moxie.kernel.io.Npz;
import io.moxie.kernel.tensor.HostTensor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Unusable requests get an {@link InvalidInputException} (INVALID_ARGUMENT over gRPC, exit 2 on the CLI) naming
 * the problem, never a crash, and the pipeline keeps serving good requests afterwards.
 */
class BadRequestsTest {
    private static final Path CASE = OctaviusPipelines.goldenCase("3d-tiny");
    private static OctaviusPipelines pipelines;
    private static String pipeline;
    private static float[] points;
    private static float[] boxes;

    @BeforeAll
    static void start() {
        pipelines = new OctaviusPipelines();
        pipeline = pipelines.deploy(CASE);
        Map<String, HostTensor> in = Npz.read(CASE.resolve("inputs.npz"));
        points = in.get("points").toFloatArray();
        boxes = in.get("boxes").toFloatArray();
    }

    @AfterAll
    static void stop() {
        pipelines.close();
    }

    @Test
    void nanOrInfiniteCoordinatesAreRefused() {
        float[] nan = points.clone();
        nan[7] = Float.NaN;
        refused("points contain NaN or infinity", request(nan, 3, boxes));
        float[] inf = points.clone();
        inf[0] = Float.NEGATIVE_INFINITY;
        refused("points contain NaN or infinity", request(inf, 3, boxes));
        float[] badBox = boxes.clone();
        badBox[4] = Float.POSITIVE_INFINITY;
        refused("boxes contain NaN or infinity", request(points, 3, badBox));
    }

    @Test
    void anEmptyCloudIsRefused() {
        refused("points is empty", request(new float[0], 3, boxes));
    }

    @Test
    void aBoxWithMinAboveMaxIsRefusedNamingTheBox() {
        float[] b = boxes.clone();
        b[6 + 1] = b[6 + 4] + 0.5f; // box 1: min y > max y
        refused("box 1 has min > max", request(points, 3, b));
    }

    @Test
    void wrongShapesAreRefused() {
        refused("points must have shape [N,3] or [N,6], got [340, 4]",
                request(Arrays.copyOf(points, 340 * 4), 4, boxes));
        Map<String, HostTensor> fiveWide = new HashMap<>(request(points, 3, boxes));
        fiveWide.put("boxes", HostTensor.ofFloats(Arrays.copyOf(boxes, 15), 3, 5));
        refused("boxes must have shape [M,6] (min xyz, max xyz), got [3, 5]", fiveWide);
        refused("boxes is empty", request(points, 3, new float[0]));
        refused("input 'points' must be float32", Map.of("points", HostTensor.ofLongs(new long[] {1, 2, 3}, 1, 3)));
    }

    @Test
    void aRequestWhoseBoxesAreAllEmptyIsRefused() {
        float[] far = {100, 100, 100, 101, 101, 101, 200, 200, 200, 200, 200, 200};
        refused("no box contains any point", request(points, 3, far));
    }

    @Test
    void aRequestWithBothOrNeitherCloudIsRefused() {
        Map<String, HostTensor> both = new HashMap<>(request(points, 3, boxes));
        both.put("points_file", HostTensor.ofBytes(new byte[] {'p', 'l', 'y', '\n'}));
        refused("give either points or points_file, not both", both);
        refused("missing input: points", Map.of("boxes", HostTensor.ofFloats(boxes, boxes.length / 6, 6)));
        refused("points_file: not a PLY, .npy or .npz file",
                Map.of("points_file", HostTensor.ofBytes("hello".getBytes(java.nio.charset.StandardCharsets.US_ASCII))));
    }

    @Test
    void theServerKeepsServingAfterBadRequests() {
        nanOrInfiniteCoordinatesAreRefused();
        aRequestWhoseBoxesAreAllEmptyIsRefused();
        GoldenComparison.Report report = GoldenComparison.compare(CASE,
                pipelines.infer(pipeline, Npz.read(CASE.resolve("inputs.npz"))));
        assertTrue(report.failures().isEmpty(), report.failures().toString());
    }

    @Test
    void requestsGoodAndBadLeaveNoArraysBehind() {
        Map<String, HostTensor> good = Npz.read(CASE.resolve("inputs.npz"));
        float[] scene = GeometricRoiExtractorTest.scene(new java.util.Random(7), true).points();
        Map<String, HostTensor> noBoxes = Map.of("points", HostTensor.ofFloats(scene, scene.length / 3, 3));
        pipelines.infer(pipeline, good);
        pipelines.infer(pipeline, noBoxes);
        int baseline = pipelines.engine().rootManager().getManagedArrays().size();
        for (int i = 0; i < 3; i++) {
            pipelines.infer(pipeline, good);
            pipelines.infer(pipeline, noBoxes); // boxes detected by geometric-roi
            aBoxWithMinAboveMaxIsRefusedNamingTheBox();
            aRequestWhoseBoxesAreAllEmptyIsRefused();
        }
        assertEquals(baseline, pipelines.engine().rootManager().getManagedArrays().size(),
                "arrays left in the engine's managers (weights' or requests')");
    }

    private static Map<String, HostTensor> request(float[] pts, int columns, float[] bx) {
        return Map.of("points", HostTensor.ofFloats(pts, pts.length / columns, columns),
                "boxes", HostTensor.ofFloats(bx, bx.length / 6, 6));
    }

    private static void refused(String message, Map<String, HostTensor> inputs) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> pipelines.infer(pipeline, inputs));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }
}
