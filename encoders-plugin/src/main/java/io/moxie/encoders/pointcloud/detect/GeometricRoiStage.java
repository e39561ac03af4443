package io.moxie.encoders.pointcloud.detect;

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
import java.util.List;
import java.util.Map;

/**
 * A geometric RoI extractor: the request's {@code boxes} when it has them; otherwise the ground plane is removed
 * ({@link GroundPlane}) and the rest clustered ({@link EuclideanClusters}), one axis-aligned box per cluster.
 * Immutable, hence thread-safe.
 *
 * <p>Inputs: {@code points} float32 {@code [N, 3|6]}; {@code boxes} float32 {@code [M, 6]}, optional. Output:
 * {@code boxes} float32 {@code [M, 6]} (min xyz, max xyz): the input itself when given (checked downstream), else
 * the detected boxes, attached to the request's manager, ordered by each cluster's lowest point index.
 */
final class GeometricRoiStage implements Stage {
    private final GroundPlane ground;
    private final EuclideanClusters clusters;

    GeometricRoiStage(GeometricRoiOptions options) {
        this.ground = new GroundPlane(options);
        this.clusters = new EuclideanClusters(options);
    }

    @Override
    public List<TensorSpec> inputs() {
        return List.of(new TensorSpec("points", DataType.FLOAT32, new long[] {-1, -1}),
                new TensorSpec("boxes", DataType.FLOAT32, new long[] {-1, -1}));
    }

    @Override
    public List<TensorSpec> outputs() {
        return List.of(new TensorSpec("boxes", DataType.FLOAT32, new long[] {-1, 6}));
    }

    @Override
    public Map<String, NDArray> run(Map<String, NDArray> inputs, RequestContext request) {
        NDArray given = inputs.get("boxes");
        if (given != null) {
            return Map.of("boxes", given);
        }
        NDArray pointsIn = PointCloudChecks.required(inputs, "points");
        float[] points = PointCloudChecks.points(pointsIn);
        Coordinates pts = Coordinates.of(points, (int) pointsIn.getShape().get(1));
        boolean[] isGround = ground.ground(pts);
        List<EuclideanClusters.Cluster> found = clusters.find(pts, isGround);
        if (found.isEmpty()) {
            int above = 0;
            for (boolean g : isGround) {
                above += g ? 0 : 1;
            }
            throw new InvalidInputException("the geometric RoI extractor found no object among the " + above
                    + " points off the ground plane (of " + pts.size() + "); pass boxes, or lower min_cluster_points "
                    + "/ raise cluster_tolerance");
        }
        float[] boxes = new float[found.size() * 6];
        for (int i = 0; i < found.size(); i++) {
            System.arraycopy(found.get(i).box(), 0, boxes, i * 6, 6);
        }
        return Map.of("boxes", request.manager().create(boxes, new Shape(found.size(), 6)));
    }

    /** The unit cube as the request's box, so the warm-up does not depend on detection. */
    @Override
    public Map<String, NDArray> warmUpInputs(NDManager manager) {
        return Map.of("points", WarmUpScene.points(manager), "boxes", WarmUpScene.boxes(manager));
    }
}
