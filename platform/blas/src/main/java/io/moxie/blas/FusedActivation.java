package io.moxie.blas;

import java.nio.FloatBuffer;

/**
 * The MLP activations (experts and dense MLPs), applied in place to a block of the hidden matrix by a plain Java loop,
 * with the constant factors moved into the GEMMs' {@code alpha} (free there) instead of extra element-wise passes.
 *
 * <p>Both are {@code act(v) = v + v · f(v)} on fc1's output {@code v = a1 · z} (fc1 runs with {@code alpha = a1}, its
 * bias scaled alike), and fc2 runs with {@code alpha = a2} to undo the scale:
 * <ul>
 *   <li>{@code quick_gelu(z) = z · σ(1.702 z)}: with {@code u = 1.702 z} and {@code σ(u) = (1 + tanh(u/2)) / 2},
 *       {@code v = u/2} gives {@code u · σ(u) = v + v · tanh(v)}; so {@code a1 = 0.851}, {@code a2 = 1 / 1.702};</li>
 *   <li>{@code gelu(z) = z/2 · (1 + erf(z/√2))} (exact, PyTorch's {@code nn.GELU()}): with {@code v = z/√2},
 *       {@code √2 · gelu(z) = v + v · erf(v)}; so {@code a1 = a2 = 1/√2}.</li>
 * </ul>
 * {@code tanh} and {@code erf} are the rational approximations Eigen and XLA use for float32 (odd polynomial over even
 * polynomial on a clamped argument; within 4e-7 of the exact functions, float32 round-off). Why not the engine's
 * kernels: they need an engine array per chunk of rows (below PyTorch's grain size, so that they stay on the calling
 * thread) and a copy back for GELU, which has no in-place form; this loop has only additions, multiplications, one
 * division and a clamp, which HotSpot's C2 vectorises, and it measured 1.7 ms against the engine's 2.2-2.8 ms for
 * 576 x 4096 floats on one thread. It also works on any block of columns, so a part that computed a block of fc1's
 * columns activates exactly that block.
 */
public enum FusedActivation {
    /** {@code z · sigmoid(1.702 z)} (CLIP). */
    QUICK_GELU("quick_gelu", 1.702f / 2, 1 / 1.702f),
    /** Exact GELU {@code 0.5 z (1 + erf(z / √2))}, PyTorch's {@code nn.GELU()}. */
    GELU("gelu", (float) (1 / Math.sqrt(2)), (float) (1 / Math.sqrt(2)));

    /** Floats per pass of the loop: a heap array the loop vectorises over, small enough to stay in L1. */
    private static final int CHUNK = 1024;

    private final String configName;
    private final float fc1Alpha;
    private final float fc2Alpha;

    FusedActivation(String configName, float fc1Alpha, float fc2Alpha) {
        this.configName = configName;
        this.fc1Alpha = fc1Alpha;
        this.fc2Alpha = fc2Alpha;
    }

    /** Returns fc1's {@code alpha} (also the factor of fc1's bias). */
    public float fc1Alpha() {
        return fc1Alpha;
    }

    /** Returns fc2's {@code alpha}, undoing the scale of {@link #fc1Alpha()} and of the activation's form. */
    public float fc2Alpha() {
        return fc2Alpha;
    }

    /**
     * Applies the activation in place to rows {@code [firstRow, firstRow + rows)} and columns
     * {@code [firstColumn, firstColumn + columns)} of a row-major float32 matrix of {@code stride} floats a row whose
     * element 0 is {@code matrix}'s element 0 (fc1's output, computed with {@link #fc1Alpha()}). Touches nothing outside
     * the block, so parts may activate disjoint blocks of one matrix at once.
     */
    public void applyInPlace(FloatBuffer matrix, int stride, int firstRow, int rows, int firstColumn, int columns) {
        float[] chunk = new float[Math.min(CHUNK, Math.max(1, columns))];
        for (int r = firstRow; r < firstRow + rows; r++) {
            int rowStart = Math.multiplyExact(r, stride) + firstColumn;
            for (int c = 0; c < columns; c += chunk.length) {
                int n = Math.min(chunk.length, columns - c);
                matrix.get(rowStart + c, chunk, 0, n);
                switch (this) {
                    case QUICK_GELU -> tanhForm(chunk, n);
                    case GELU -> erfForm(chunk, n);
                }
                matrix.put(rowStart + c, chunk, 0, n);
            }
        }
    }

    /** {@code v + v · tanh(v)} in place (tanh is ±1 in float32 beyond the clamp). */
    private static void tanhForm(float[] t, int n) {
        for (int i = 0; i < n; i++) {
            float v = t[i];
            t[i] = v + v * RationalTanh.of(v);
        }
    }

    /** {@code v + v · erf(v)} in place; Eigen's {@code generic_fast_erf_float} (erf is ±1 in float32 beyond ±4). */
    private static void erfForm(float[] t, int n) {
        for (int i = 0; i < n; i++) {
            float v = t[i];
            float x = Math.max(-4f, Math.min(4f, v));
            float x2 = x * x;
            float p = -2.72614225801306e-10f;
            p = p * x2 + 2.77068142495902e-08f;
            p = p * x2 - 2.10102402082508e-06f;
            p = p * x2 - 5.69250639462346e-05f;
            p = p * x2 - 7.34990630326855e-04f;
            p = p * x2 - 2.95459980854025e-03f;
            p = p * x2 - 1.60960333262415e-02f;
            float q = -1.45660718464996e-05f;
            q = q * x2 - 2.13374055278905e-04f;
            q = q * x2 - 1.68282697438203e-03f;
            q = q * x2 - 7.37332916720468e-03f;
            q = q * x2 - 1.42647390514189e-02f;
            t[i] = v + v * (x * p / q);
        }
    }

    /** Returns the activation called {@code name} (a Hugging Face {@code hidden_act}), or null if there is none. */
    public static FusedActivation named(String name) {
        for (FusedActivation a : values()) {
            if (a.configName.equals(name)) {
                return a;
            }
        }
        return null;
    }
}
