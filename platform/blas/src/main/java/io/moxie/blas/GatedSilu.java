package io.moxie.blas;

import java.nio.FloatBuffer;

/**
 * SwiGLU's gating, {@code silu(gate) ⊙ up}, written over the gate values in place by a plain Java loop, so that the
 * down projection reads the product where the gate product left it: nothing is copied and no engine operation runs.
 *
 * <p>{@code silu(g) = g·σ(g) = v + v·tanh(v)} with {@code v = g/2}, the form {@link FusedActivation#QUICK_GELU}
 * activates with, on the same {@link RationalTanh}. Why not the
 * engine's {@code sigmoid} and {@code mul}: they need an engine array per chunk of fewer than 32768 elements (PyTorch's
 * grain size, so that they stay on the calling thread), five engine calls per chunk on strided views; in the
 * {@code swiglu-blas} bank, beside the other part's GEMMs on the same core, they took about 3 ms a call of the Mixtral
 * bench (about 6 % of it). This loop has only additions, multiplications, one division and a clamp, which HotSpot's C2
 * vectorises. Accuracy: the tanh's absolute error (about 4e-7) carries over to {@code silu} as an absolute error of
 * about {@code 4e-7·|g|/2}; far below zero, where {@code silu} itself tends to 0 (about -2e-6 at {@code g = -16}), the
 * result is accurate in absolute terms only (exactly 0 below about -15.8), which is what the down projection's sums
 * see. Stateless.
 */
public final class GatedSilu {
    /** Floats per pass of the loop: heap arrays the loop vectorises over, small enough to stay in L1. */
    private static final int CHUNK = 1024;

    private GatedSilu() {
    }

    /**
     * {@code gate[i] = silu(gate[i]) · up[i]} for {@code i} in {@code [0, count)}; {@code up} is only read. The two
     * buffers' element 0 are the first gate and up values (slices); they must not overlap.
     */
    public static void apply(FloatBuffer gate, FloatBuffer up, int count) {
        float[] g = new float[Math.min(CHUNK, Math.max(1, count))];
        apply(gate, up, count, g, new float[g.length]);
    }

    /**
     * Gates rows {@code [first, first + rows)} of a row-major float32 matrix {@code [*, 2·half]} whose element 0 is
     * {@code matrix}'s element 0, each row the {@code half} gate outputs then the {@code half} up outputs (as one GEMM
     * with the gate and up weights stacked writes them): the product overwrites the gate half, which the down
     * projection then reads with a row stride of {@code 2·half}. Touches no other row, so parts may gate disjoint rows
     * at once.
     */
    public static void applyInPlace(FloatBuffer matrix, int first, int rows, int half) {
        float[] g = new float[Math.min(CHUNK, Math.max(1, half))];
        float[] u = new float[g.length];
        for (int r = first; r < first + rows; r++) {
            int gate = Math.multiplyExact(r, 2 * half);
            apply(SharedMemory.at(matrix, gate, half), SharedMemory.at(matrix, gate + half, half), half, g, u);
        }
    }

    /** The gating through the heap chunks {@code g} and {@code u} (of equal length). */
    private static void apply(FloatBuffer gate, FloatBuffer up, int count, float[] g, float[] u) {
        for (int i = 0; i < count; i += g.length) {
            int n = Math.min(g.length, count - i);
            gate.get(i, g, 0, n);
            up.get(i, u, 0, n);
            gateInPlace(g, u, n);
            gate.put(i, g, 0, n);
        }
    }

    /** {@code g[i] = (v + v·tanh(v)) · u[i]} with {@code v = g[i] / 2}. */
    private static void gateInPlace(float[] g, float[] u, int n) {
        for (int i = 0; i < n; i++) {
            float v = 0.5f * g[i];
            g[i] = (v + v * RationalTanh.of(v)) * u[i];
        }
    }
}
