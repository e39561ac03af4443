package io.moxie.encoders.pointcloud.roi;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.InvalidInputException;
import io.moxie.api.RequestContext;
import io.moxie.api.Stage;
import io.moxie.api.TensorSpec;
import io.moxie.encoders.pointcloud.PointCloudChecks;
import io.moxie.encoders.pointcloud.WarmUpScene;
import io.moxie.encoders.pointcloud.geometry.Coordinates;
import io.moxie.encoders.pointcloud.geometry.ParallelLoop;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * RoI extraction (README-octavius §2), boxes in parallel. Stateless apart from its setting {@code P}, hence
 * thread-safe.
 *
 * <p>Inputs: {@code points} float32 {@code [N, 3|6]}, {@code boxes} float32 {@code [M, 6]}. Outputs, all attached to
 * the request's manager: {@code object_point_count} int64 {@code [M]}, {@code object_mask} int64 {@code [M]} (1 kept,
 * 0 empty box), {@code sample_idx} int64 {@code [M, P]} (-1 rows for empty boxes), {@code object_points} float32
 * {@code [M, P, 3]} (zeros for empty boxes).
 */
final class RoiSamplerStage implements Stage {
    private final int numPoints;

    RoiSamplerStage(int numPoints) {
        this.numPoints = numPoints;
    }

    @Override
    public List<TensorSpec> inputs() {
        return List.of(new TensorSpec("points", DataType.FLOAT32, new long[] {-1, -1}),
                new TensorSpec("boxes", DataType.FLOAT32, new long[] {-1, -1}));
    }

    @Override
    public List<TensorSpec> outputs() {
        return List.of(new TensorSpec("object_point_count", DataType.INT64, new long[] {-1}),
                new TensorSpec("object_mask", DataType.INT64, new long[] {-1}),
                new TensorSpec("sample_idx", DataType.INT64, new long[] {-1, numPoints}),
                new TensorSpec("object_points", DataType.FLOAT32, new long[] {-1, numPoints, 3}));
    }

    @Override
    public Map<String, NDArray> run(Map<String, NDArray> inputs, RequestContext request) {
        NDArray pointsIn = PointCloudChecks.required(inputs, "points");
        NDArray boxesIn = PointCloudChecks.required(inputs, "boxes");
        float[] points = PointCloudChecks.points(pointsIn);
        float[] boxes = PointCloudChecks.boxes(boxesIn);
        Coordinates scene = Coordinates.of(points, (int) pointsIn.getShape().get(1));
        int m = boxes.length / 6;
        int p = numPoints;
        long[] counts = new long[m];
        long[] sampleIdx = new long[m * p];
        Arrays.fill(sampleIdx, -1L);
        float[] objectPoints = new float[m * p * 3];
        ParallelLoop.run(m, () -> new ObjectSampler(p),
                (sampler, box) -> counts[box] = sampler.sample(scene, boxes, box, sampleIdx, objectPoints));
        long[] mask = new long[m];
        boolean any = false;
        for (int i = 0; i < m; i++) {
            mask[i] = counts[i] > 0 ? 1 : 0;
            any |= counts[i] > 0;
        }
        if (!any) {
            throw new InvalidInputException("no box contains any point");
        }
        NDManager nd = request.manager();
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put("object_point_count", nd.create(counts, new Shape(m)));
        out.put("object_mask", nd.create(mask, new Shape(m)));
        out.put("sample_idx", nd.create(sampleIdx, new Shape(m, p)));
        out.put("object_points", nd.create(objectPoints, new Shape(m, p, 3)));
        return out;
    }

    /** The corners of the unit cube and the box around them ({@link WarmUpScene}). */
    @Override
    public Map<String, NDArray> warmUpInputs(NDManager manager) {
        return Map.of("points", WarmUpScene.points(manager), "boxes", WarmUpScene.boxes(manager));
    }
}
