package io.moxie.encoders.s2;

/**
 * PyTorch's bicubic interpolation along one axis ({@code F.interpolate(mode='bicubic', align_corners=False)}, no
 * antialias) as an {@code [out, in]} matrix, so that an upscale is two GEMMs: Keys' cubic convolution with
 * {@code A = -0.75}, source coordinate {@code (i + 0.5)·in/out − 0.5} (not clamped), taps {@code floor(src)−1 ..
 * floor(src)+2} with indices clamped to {@code [0, in−1]} (edge taps add onto the border pixel), all in float32 like
 * the reference. Output values are not clamped.
 */
final class BicubicUpsampling {
    private static final float A = -0.75f;

    private BicubicUpsampling() {
    }

    /** Returns the row-major {@code [out, in]} interpolation matrix. */
    static float[] matrix(int in, int out) {
        float[] m = new float[out * in];
        float scale = (float) in / out;
        for (int i = 0; i < out; i++) {
            float src = scale * (i + 0.5f) - 0.5f;
            int floor = (int) Math.floor(src);
            float t = src - floor;
            float[] w = {far(t + 1f), near(t), near(1f - t), far(2f - t)};
            for (int tap = 0; tap < 4; tap++) {
                int index = Math.min(Math.max(floor - 1 + tap, 0), in - 1);
                m[i * in + index] += w[tap];
            }
        }
        return m;
    }

    /** Kernel for {@code |x| ≤ 1}. */
    private static float near(float x) {
        return ((A + 2f) * x - (A + 3f)) * x * x + 1f;
    }

    /** Kernel for {@code 1 < |x| < 2}. */
    private static float far(float x) {
        return ((A * x - 5f * A) * x + 8f * A) * x - 4f * A;
    }
}
