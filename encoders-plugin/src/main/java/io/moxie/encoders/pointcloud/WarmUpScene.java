package io.moxie.encoders.pointcloud;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * The scene the point-cloud stages warm up on: the eight corners of the unit cube and the box around them. Every
 * stage's warm-up inputs come from here so that, whichever stage the kernel asks, they agree.
 */
public final class WarmUpScene {
    private WarmUpScene() {
    }

    /** Returns the corners, float32 {@code [8, 3]}, in {@code manager}. */
    public static NDArray points(NDManager manager) {
        return manager.create(corners(1), new Shape(8, 3));
    }

    /** Returns {@code copies} repetitions of the corners, float32 {@code [8 * copies * 3]} row-major. */
    public static float[] corners(int copies) {
        float[] out = new float[8 * copies * 3];
        for (int i = 0; i < 8 * copies; i++) {
            int corner = i % 8;
            out[i * 3] = corner & 1;
            out[i * 3 + 1] = (corner >> 1) & 1;
            out[i * 3 + 2] = (corner >> 2) & 1;
        }
        return out;
    }

    /** Returns the box around the corners, float32 {@code [1, 6]}, in {@code manager}. */
    public static NDArray boxes(NDManager manager) {
        return manager.create(new float[] {0, 0, 0, 1, 1, 1}, new Shape(1, 6));
    }
}
