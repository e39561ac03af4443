package io.moxie.encoders.pointcloud.decode;

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
import java.util.List;
import java.util.Map;

/**
 * Turns the request's point cloud into float32 {@code points} {@code [N, 3|6]} (xyz, optionally rgb in [0, 255]),
 * checked as README-octavius §1 requires (shape, {@code N > 0}, finite). Stateless, hence thread-safe.
 *
 * <p>Inputs (exactly one is required):
 * <ul>
 *   <li>{@code points}: a float32 (or float64, rounded) {@code [N, 3|6]} array, passed through;</li>
 *   <li>{@code points_file}: uint8 {@code [nbytes]}, the bytes of a PLY (ASCII or binary little-endian; vertex x/y/z
 *       float or double, optional red/green/blue uchar), {@code .npy} or {@code .npz} (entry {@code points}) file.
 *       The default pipeline declares {@code points} with {@code encoded_as: points_file}, so a file sent as
 *       {@code points} ({@code --input points=scene.ply}) arrives here.</li>
 * </ul>
 * Output: {@code points} float32 {@code [N, 3|6]}, attached to the request's manager (or the input itself when it
 * already was one).
 */
final class PointCloudDecodeStage implements Stage {

    @Override
    public List<TensorSpec> inputs() {
        return List.of(new TensorSpec("points", DataType.UNKNOWN, new long[] {-1, -1}),
                new TensorSpec("points_file", DataType.UINT8, new long[] {-1}));
    }

    @Override
    public List<TensorSpec> outputs() {
        return List.of(new TensorSpec("points", DataType.FLOAT32, new long[] {-1, -1}));
    }

    @Override
    public Map<String, NDArray> run(Map<String, NDArray> inputs, RequestContext request) {
        NDArray points = inputs.get("points");
        NDArray file = inputs.get("points_file");
        if (points != null && file != null) {
            throw new InvalidInputException("give either points or points_file, not both");
        }
        if (points == null && file == null) {
            throw new InvalidInputException("missing input: points (float32 [N,3] or [N,6]) or points_file (the bytes "
                    + "of a .ply, .npy or .npz file)");
        }
        NDArray out = points == null ? decode(file, request.manager()) : asPoints(points, request.manager());
        PointCloudChecks.points(out);
        return Map.of("points", out);
    }

    private static NDArray asPoints(NDArray points, NDManager manager) {
        DataType type = points.getDataType();
        if (type == DataType.FLOAT32) {
            return points;
        }
        if (type == DataType.FLOAT64 || type == DataType.FLOAT16) {
            NDArray converted = points.toType(DataType.FLOAT32, false);
            converted.attach(manager);
            return converted;
        }
        throw new InvalidInputException("points must be floating point (float32 [N,3] or [N,6]), got "
                + type.name().toLowerCase());
    }

    private static NDArray decode(NDArray bytes, NDManager manager) {
        DecodedPoints decoded;
        try {
            decoded = PointCloudFiles.decode(bytes.toByteArray());
        } catch (InvalidInputException e) {
            throw new InvalidInputException("points_file: " + e.getMessage());
        }
        return manager.create(decoded.values(), new Shape(decoded.shape()));
    }

    /** The corners of the unit cube ({@link WarmUpScene}). */
    @Override
    public Map<String, NDArray> warmUpInputs(NDManager manager) {
        return Map.of("points", WarmUpScene.points(manager));
    }
}
