package io.moxie.encoders.clip;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * {@link SelfAttention}'s maths with every GEMM on OpenBLAS over the DJL arrays' own memory, no transposes or copies,
 * in three phases each cut into one independent part per core ({@link GemmParts}, single-threaded GEMMs):
 * <ol>
 *   <li>{@code qkv [N·T, 3D] = h · W_qkvᵀ + b}, parts over columns (each packs its share of the weights), onto rows
 *       pre-filled with the bias ({@code beta = 1});</li>
 *   <li>parts over (image, head) pairs: {@code scores = q_h · k_hᵀ} read in place from {@code qkv} (row stride
 *       {@code 3D}) into a per-part {@code [T, T]} matrix, softmax over the keys, then {@code probs · v_h} written
 *       straight into head {@code h}'s columns of the merged {@code [N·T, D]}; so the score memory is one
 *       {@code [T, T]} per part, not {@code [N, heads, T, T]} (10 crops of CLIP-L/336 would be 2 x 213 MB);</li>
 *   <li>{@code out = merged · W_oᵀ + b}, parts over columns.</li>
 * </ol>
 * The softmax runs in the engine on chunks of rows below PyTorch's grain size, so it runs on the part's own thread.
 * Only used on the CPU with OpenBLAS loadable; {@link SelfAttention} keeps the DJL path otherwise. Holds views of the
 * weights (owned by the component's manager, like the {@link SelfAttention} that holds this); immutable, hence
 * thread-safe.
 */
final class BlasAttention {
    /** PyTorch's {@code at::internal::GRAIN_SIZE}: kernels on fewer elements run serially on the calling thread. */
    private static final int SERIAL_ELEMENTS = 32767;

    private final int heads;
    private final FloatBuffer qkvWeight;
    private final FloatBuffer qkvBias;
    private final FloatBuffer outWeight;
    private final FloatBuffer outBias;

    private BlasAttention(int heads, FloatBuffer qkvWeight, FloatBuffer qkvBias, FloatBuffer outWeight,
                          FloatBuffer outBias) {
        this.heads = heads;
        this.qkvWeight = qkvWeight;
        this.qkvBias = qkvBias;
        this.outWeight = outWeight;
        this.outBias = outBias;
    }

    /**
     * Returns the OpenBLAS form of an attention's weights, or null when it does not apply (weights not on the CPU,
     * OpenBLAS not loadable), in which case the caller runs on DJL.
     *
     * @param qkvWeight {@code [3D, D]}, the q rows already scaled by {@code head_dim^-0.5}
     * @param qkvBias {@code [3D]}, the q part scaled alike
     * @param outWeight {@code [D, D]}
     * @param outBias {@code [D]}
     */
    static BlasAttention ifAvailable(int heads, NDArray qkvWeight, NDArray qkvBias, NDArray outWeight, NDArray outBias) {
        if (!Device.Type.CPU.equals(qkvWeight.getDevice().getDeviceType()) || !OpenBlasGemm.available()) {
            return null;
        }
        return new BlasAttention(heads, OpenBlasGemm.floats(qkvWeight), OpenBlasGemm.floats(qkvBias),
                OpenBlasGemm.floats(outWeight), OpenBlasGemm.floats(outBias));
    }

    /** Attends over {@code h [N, T, D]}; the result {@code [N, T, D]} belongs to {@code h}'s manager. */
    NDArray forward(NDArray h) {
        int images = Math.toIntExact(h.getShape().get(0));
        int tokens = Math.toIntExact(h.getShape().get(1));
        int d = Math.toIntExact(h.getShape().get(2));
        int rows = Math.multiplyExact(images, tokens);
        NDManager manager = h.getManager();
        try (NDManager scratch = manager.newSubManager()) {
            FloatBuffer hRows = OpenBlasGemm.floats(h);
            FloatBuffer qkv = OpenBlasGemm.floats(scratch.create(new Shape(rows, 3 * d)));
            linear(hRows, rows, d, qkvWeight, qkvBias, 3 * d, qkv);
            FloatBuffer merged = OpenBlasGemm.floats(scratch.create(new Shape(rows, d)));
            int pairs = images * heads;
            int parts = GemmParts.count(pairs);
            GemmParts.run(parts, part -> heads(qkv, merged, tokens, d, GemmParts.bound(pairs, part, parts),
                    GemmParts.bound(pairs, part + 1, parts), scratch));
            NDArray out = manager.create(new Shape(images, tokens, d));
            linear(merged, rows, d, outWeight, outBias, d, OpenBlasGemm.floats(out));
            return out;
        }
    }

    /** {@code y [rows, n] = x [rows, k] · Wᵀ + b} with {@code W [n, k]}, parts over the columns of {@code y}. */
    private static void linear(FloatBuffer x, int rows, int k, FloatBuffer weight, FloatBuffer bias, int n, FloatBuffer y) {
        int parts = GemmParts.count(n);
        GemmParts.run(parts, part -> {
            int c0 = GemmParts.bound(n, part, parts);
            int c1 = GemmParts.bound(n, part + 1, parts);
            for (int r = 0; r < rows; r++) {
                y.put(r * n + c0, bias, c0, c1 - c0);
            }
            OpenBlasGemm.gemmNT(rows, c1 - c0, k, 1f, x, k, OpenBlasGemm.at(weight, (long) c0 * k, (long) (c1 - c0) * k),
                    k, 1f, OpenBlasGemm.at(y, c0, (long) (rows - 1) * n + (c1 - c0)), n);
        });
    }

    /** Attention of (image, head) pairs {@code [first, end)}, pair {@code p} = image {@code p / heads}. */
    private void heads(FloatBuffer qkv, FloatBuffer merged, int tokens, int d, int first, int end, NDManager scratch) {
        int headDim = d / heads;
        try (NDManager local = scratch.newSubManager()) {
            ByteBuffer scoreBytes = OpenBlasGemm.bytes(local.create(new Shape(tokens, tokens)));
            FloatBuffer scores = scoreBytes.asFloatBuffer();
            for (int p = first; p < end; p++) {
                long firstRow = (long) (p / heads) * tokens;
                int head = p % heads;
                OpenBlasGemm.gemmNT(tokens, tokens, headDim, 1f, block(qkv, firstRow, 0, head, headDim, d, tokens), 3 * d,
                        block(qkv, firstRow, d, head, headDim, d, tokens), 3 * d, 0f, scores, tokens);
                softmaxRows(scoreBytes, tokens, local);
                OpenBlasGemm.gemmNN(tokens, headDim, tokens, 1f, scores, tokens,
                        block(qkv, firstRow, 2 * d, head, headDim, d, tokens), 3 * d, 0f,
                        OpenBlasGemm.at(merged, firstRow * d + (long) head * headDim, (long) (tokens - 1) * d + headDim), d);
            }
        }
    }

    /** Softmax over each row of the {@code [tokens, tokens]} matrix in place, in serially-run chunks of rows. */
    private static void softmaxRows(ByteBuffer matrix, int tokens, NDManager manager) {
        int chunkRows = Math.max(1, SERIAL_ELEMENTS / tokens);
        FloatBuffer target = matrix.asFloatBuffer();
        for (int r = 0; r < tokens; r += chunkRows) {
            int n = Math.min(chunkRows, tokens - r);
            ByteBuffer bytes = matrix.slice(r * tokens * Float.BYTES, n * tokens * Float.BYTES).order(ByteOrder.nativeOrder());
            try (NDArray chunk = manager.create(bytes, new Shape(n, tokens), DataType.FLOAT32);
                 NDArray probs = chunk.softmax(-1)) {
                target.put(r * tokens, OpenBlasGemm.floats(probs), 0, n * tokens);
            }
        }
    }

    /**
     * Returns the {@code [tokens, headDim]} block of head {@code head} of q, k or v ({@code column} 0, D or 2D) for the
     * image whose first row is {@code firstRow}, as a buffer starting at its first element (row stride {@code 3D}).
     */
    private static FloatBuffer block(FloatBuffer qkv, long firstRow, int column, int head, int headDim, int d, int tokens) {
        long start = firstRow * 3 * d + column + (long) head * headDim;
        return OpenBlasGemm.at(qkv, start, (long) (tokens - 1) * 3 * d + headDim);
    }
}
