package io.moxie.encoders.pointcloud;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.InvalidInputException;
import java.util.Map;

/**
 * The request checks of README-octavius §1, shared by every stage that reads {@code points} or {@code boxes}, with
 * the reference's messages. Each check returns the values as a row-major float array the caller owns.
 */
public final class PointCloudChecks {
    private PointCloudChecks() {
    }

    /**
     * Checks a scene: float32 {@code [N, 3]} or {@code [N, 6]} (xyz, optionally rgb in [0, 255]), {@code N > 0}, no
     * NaN or infinity in any column.
     *
     * @throws InvalidInputException naming the problem
     */
    public static float[] points(NDArray points) {
        Shape s = points.getShape();
        if (s.dimension() != 2 || (s.get(1) != 3 && s.get(1) != 6)) {
            throw new InvalidInputException("points must have shape [N,3] or [N,6], got " + dims(s));
        }
        if (s.get(0) == 0) {
            throw new InvalidInputException("points is empty");
        }
        requireFloat32("points", points);
        float[] values = points.toFloatArray();
        if (!allFinite(values)) {
            throw new InvalidInputException("points contain NaN or infinity");
        }
        return values;
    }

    /**
     * Checks object boxes: float32 {@code [M, 6]} (min xyz, max xyz), {@code M > 0}, finite, {@code min <= max} on
     * every axis ({@code min == max} is a flat box, allowed).
     *
     * @throws InvalidInputException naming the problem (and the first bad box)
     */
    public static float[] boxes(NDArray boxes) {
        Shape s = boxes.getShape();
        if (s.dimension() != 2 || s.get(1) != 6) {
            throw new InvalidInputException("boxes must have shape [M,6] (min xyz, max xyz), got " + dims(s));
        }
        if (s.get(0) == 0) {
            throw new InvalidInputException("boxes is empty");
        }
        requireFloat32("boxes", boxes);
        float[] values = boxes.toFloatArray();
        if (!allFinite(values)) {
            throw new InvalidInputException("boxes contain NaN or infinity");
        }
        for (int m = 0; m < values.length / 6; m++) {
            for (int a = 0; a < 3; a++) {
                if (values[m * 6 + a] > values[m * 6 + 3 + a]) {
                    throw new InvalidInputException("box " + m + " has min > max");
                }
            }
        }
        return values;
    }

    /**
     * Returns a stage input that the stage cannot run without.
     *
     * @throws InvalidInputException if the request did not provide it
     */
    public static NDArray required(Map<String, NDArray> inputs, String name) {
        NDArray a = inputs.get(name);
        if (a == null) {
            throw new InvalidInputException("missing input '" + name + "'");
        }
        return a;
    }

    /** Returns whether no value is NaN or infinite. */
    public static boolean allFinite(float[] values) {
        for (float v : values) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    /** Formats a shape as the reference does, e.g. {@code [5, 4]}. */
    public static String dims(Shape s) {
        return java.util.Arrays.toString(s.getShape());
    }

    private static void requireFloat32(String name, NDArray a) {
        if (a.getDataType() != DataType.FLOAT32) {
            throw new InvalidInputException(name + " must be float32, got " + a.getDataType().name().toLowerCase());
        }
    }
}
