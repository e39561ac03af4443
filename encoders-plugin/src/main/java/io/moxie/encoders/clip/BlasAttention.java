package io.moxie.encoders.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.blas.BlasLinear;
import io.moxie.blas.BlasLinear.Split;
import io.moxie.blas.OpenBlas;
import io.moxie.blas.Parts;
import io.moxie.blas.SharedMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * {@link SelfAttention}'s maths with every GEMM on OpenBLAS over the DJL arrays' own memory, no transposes or copies,
 * in three phases each cut into one independent part per core ({@link Parts}, single-threaded GEMMs):
 * <ol>
 *   <li>{@code qkv [N·T, 3D] = h · W_qkvᵀ + b}, parts over columns (each packs its share of the weights), onto rows
 *       pre-filled with the bias ({@code beta = 1});</li>
 *   <li>parts over (image, head) pairs: {@code scores = q_h · k_hᵀ} read in place from {@code qkv} (row stride
 *       {@code 3D}) into a per-part {@code [T, T]} matrix, softmax over the keys, then {@code probs · v_h} written
 *       straight into head {@code h}'s columns of the merged {@code [N·T, D]}; so the score memory is one
 *       {@code [T, T]} per part, not {@code [N, heads, T, T]} (10 crops of CLIP-L/336 would be 2 x 213 MB);</li>
 *   <li>{@code out = merged · W_oᵀ + b}, parts over columns.</li>
 * </ol>
 * The softmax runs in the engine on chunks of rows below PyTorch's grain size. That was meant to keep it on the part's
 * own thread, but the engine's last-axis softmax goes through {@code at::parallel_for} at any size (its grain size is
 * 0), so it still touches the OpenMP pool: a few per cent of the attention's samples (docs/PERFORMANCE.md, "Closer to
 * the GEMM limit"); a heap softmax would need a vectorised {@code exp}.
 * Only used on the CPU with OpenBLAS loadable; {@link SelfAttention} keeps the DJL path otherwise. Holds views of the
 * weights (owned by the component's manager, like the {@link SelfAttention} that holds this); immutable, hence
 * thread-safe.
 */
final class BlasAttention {
    /** PyTorch's {@code at::internal::GRAIN_SIZE}: kernels on fewer elements run serially on the calling thread. */
    private static final int SERIAL_ELEMENTS = 32767;

    private final int heads;
    private final BlasLinear qkv;
    private final BlasLinear out;

    private BlasAttention(int heads, BlasLinear qkv, BlasLinear out) {
        this.heads = heads;
        this.qkv = qkv;
        this.out = out;
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
        if (!OpenBlas.availableFor(qkvWeight)) {
            return null;
        }
        return new BlasAttention(heads, BlasLinear.of(qkvWeight, qkvBias, Split.FILL_CORES),
                BlasLinear.of(outWeight, outBias, Split.FILL_CORES));
    }

    /** Attends over {@code h [N, T, D]}; the result {@code [N, T, D]} belongs to {@code h}'s manager. */
    NDArray forward(NDArray h) {
        int images = Math.toIntExact(h.getShape().get(0));
        int tokens = Math.toIntExact(h.getShape().get(1));
        int d = Math.toIntExact(h.getShape().get(2));
        int rows = Math.multiplyExact(images, tokens);
        NDManager manager = h.getManager();
        try (NDManager scratch = manager.newSubManager()) {
            FloatBuffer projected = SharedMemory.floats(scratch.create(new Shape(rows, 3 * d)));
            qkv.apply(SharedMemory.floats(h), rows, d, 1f, projected);
            FloatBuffer merged = SharedMemory.floats(scratch.create(new Shape(rows, d)));
            int pairs = images * heads;
            int parts = Parts.count(pairs, 1);
            Parts.run(parts, part -> heads(projected, merged, tokens, d, Parts.bound(pairs, part, parts),
                    Parts.bound(pairs, part + 1, parts), scratch));
            NDArray result = manager.create(new Shape(images, tokens, d));
            out.apply(merged, rows, d, 1f, SharedMemory.floats(result));
            return result;
        }
    }

    /** Attention of (image, head) pairs {@code [first, end)}, pair {@code p} = image {@code p / heads}. */
    private void heads(FloatBuffer qkv, FloatBuffer merged, int tokens, int d, int first, int end, NDManager scratch) {
        int headDim = d / heads;
        try (NDManager local = scratch.newSubManager()) {
            ByteBuffer scoreBytes = SharedMemory.bytes(local.create(new Shape(tokens, tokens)));
            FloatBuffer scores = scoreBytes.asFloatBuffer();
            for (int p = first; p < end; p++) {
                long firstRow = (long) (p / heads) * tokens;
                int head = p % heads;
                OpenBlas.gemmNT(tokens, tokens, headDim, 1f, block(qkv, firstRow, 0, head, headDim, d, tokens), 3 * d,
                        block(qkv, firstRow, d, head, headDim, d, tokens), 3 * d, 0f, scores, tokens);
                softmaxRows(scoreBytes, tokens, local);
                OpenBlas.gemmNN(tokens, headDim, tokens, 1f, scores, tokens,
                        block(qkv, firstRow, 2 * d, head, headDim, d, tokens), 3 * d, 0f,
                        SharedMemory.at(merged, firstRow * d + (long) head * headDim, (long) (tokens - 1) * d + headDim), d);
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
                target.put(r * tokens, SharedMemory.floats(probs), 0, n * tokens);
            }
        }
    }

    /**
     * Returns the {@code [tokens, headDim]} block of head {@code head} of q, k or v ({@code column} 0, D or 2D) for the
     * image whose first row is {@code firstRow}, as a buffer starting at its first element (row stride {@code 3D}).
     */
    private static FloatBuffer block(FloatBuffer qkv, long firstRow, int column, int head, int headDim, int d, int tokens) {
        long start = firstRow * 3 * d + column + (long) head * headDim;
        return SharedMemory.at(qkv, start, (long) (tokens - 1) * 3 * d + headDim);
    }
}
