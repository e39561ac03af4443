package io.moxie.blas;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * The MLP activations (experts and dense MLPs), applied in place to rows of the hidden matrix with the engine's vectorised kernels, and
 * with the constant factors moved into the GEMMs' {@code alpha} (free there) instead of extra element-wise passes.
 *
 * <p>{@code quick_gelu(z) = z · σ(1.702 z)}: fc1 runs with {@code alpha = 1.702} (its bias scaled alike), so the
 * hidden matrix holds {@code u = 1.702 z}; the activation is then {@code u · σ(u)} (one sigmoid, one in-place
 * multiply); fc2 runs with {@code alpha = 1 / 1.702}. Same product as {@code mlp}'s up to
 * float32 round-off. {@code gelu} is the engine's fused exact (erf) GELU.
 *
 * <p>The rows are processed in chunks of fewer than 32768 elements, PyTorch's grain size: below it the engine runs an
 * element-wise kernel on the calling thread instead of waking its OpenMP pool, so a {@link Parts} part stays on its
 * own core and never waits for, or spins against, the pool.
 */
public enum FusedActivation {
    /** {@code z · sigmoid(1.702 z)} (CLIP). */
    QUICK_GELU("quick_gelu", 1.702f),
    /** Exact GELU {@code 0.5 z (1 + erf(z / √2))}, PyTorch's {@code nn.GELU()}. */
    GELU("gelu", 1f);

    /** PyTorch's {@code at::internal::GRAIN_SIZE}: element-wise kernels on fewer elements run serially. */
    private static final int SERIAL_ELEMENTS = 32767;

    private final String configName;
    private final float inputScale;

    FusedActivation(String configName, float inputScale) {
        this.configName = configName;
        this.inputScale = inputScale;
    }

    /** Returns fc1's {@code alpha}. */
    public float fc1Alpha() {
        return inputScale;
    }

    /** Returns fc2's {@code alpha}, undoing what {@link #fc1Alpha()} put in. */
    public float fc2Alpha() {
        return 1f / inputScale;
    }

    /**
     * Applies the activation in place to rows {@code [first, first + rows)} of a row-major float32 matrix of
     * {@code width} columns held in {@code matrix} (fc1's output, scaled by {@link #fc1Alpha()}).
     *
     * @param manager where the chunk views and temporaries live; the caller closes it
     */
    public void applyInPlace(ByteBuffer matrix, int first, int rows, int width, NDManager manager) {
        int chunkRows = Math.max(1, SERIAL_ELEMENTS / width);
        for (int r = first; r < first + rows; r += chunkRows) {
            int n = Math.min(chunkRows, first + rows - r);
            ByteBuffer bytes = matrix.slice(Math.multiplyExact(r, width * Float.BYTES), n * width * Float.BYTES)
                    .order(ByteOrder.nativeOrder());
            // a view of the chunk, not a copy: the engine reads and writes the matrix itself
            try (NDArray chunk = manager.create(bytes, new Shape(n, width), DataType.FLOAT32)) {
                switch (this) {
                    case QUICK_GELU -> {
                        try (NDArray gate = ai.djl.nn.Activation.sigmoid(chunk)) {
                            chunk.muli(gate);
                        }
                    }
                    case GELU -> {
                        try (NDArray out = chunk.getNDArrayInternal().gelu()) {
                            FloatBuffer target = bytes.asFloatBuffer();
                            target.put(0, SharedMemory.floats(out), 0, n * width);
                        }
                    }
                }
            }
        }
    }

    /** Returns the Hugging Face name ({@code quick_gelu}, {@code gelu}). */
    public String configName() {
        return configName;
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
