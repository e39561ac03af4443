package io.moxie.encoders.pointcloud.pointbert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.blas.OpenBlas;
import io.moxie.blas.SharedMemory;
import io.moxie.encoders.pointcloud.geometry.ParallelLoop;
import java.nio.FloatBuffer;

/**
 * {@link AttentionCore} with its GEMMs on OpenBLAS, reading q, k and v in place from {@code qkv} (row stride
 * {@code 3C}) and writing each head's output straight into its columns of the result, so nothing is transposed or
 * copied: (1) per (object, head), in parallel, {@code scores = scale · q kᵀ} into one {@code [B·h, N, N]} array;
 * (2) one softmax over it in the engine; (3) per (object, head), {@code probs · v}. Immutable, hence thread-safe.
 */
final class BlasAttentionCore implements AttentionCore {
    private final int dim;
    private final int heads;
    private final float scale;

    BlasAttentionCore(int dim, int heads, float scale) {
        this.dim = dim;
        this.heads = heads;
        this.scale = scale;
    }

    @Override
    public NDArray attend(NDArray qkv) {
        int b = Math.toIntExact(qkv.getShape().get(0));
        int n = Math.toIntExact(qkv.getShape().get(1));
        int d = dim / heads;
        int stride = 3 * dim;
        NDManager manager = qkv.getManager();
        FloatBuffer in = SharedMemory.floats(qkv);
        NDArray out = manager.create(new Shape(b, n, dim));
        FloatBuffer merged = SharedMemory.floats(out);
        try (NDManager scratch = manager.newSubManager()) {
            NDArray scores = scratch.create(new Shape((long) b * heads, n, n));
            FloatBuffer s = SharedMemory.floats(scores);
            ParallelLoop.run(b * heads, () -> null, (unused, pair) -> {
                long base = (long) (pair / heads) * n * stride + (long) (pair % heads) * d;
                OpenBlas.gemmNT(n, n, d, scale, SharedMemory.at(in, base), stride, SharedMemory.at(in, base + dim), stride, 0f,
                        SharedMemory.at(s, (long) pair * n * n), n);
            });
            FloatBuffer p = SharedMemory.floats(scores.softmax(-1));
            ParallelLoop.run(b * heads, () -> null, (unused, pair) -> {
                int object = pair / heads;
                int head = pair % heads;
                long v = (long) object * n * stride + 2L * dim + (long) head * d;
                OpenBlas.gemmNN(n, d, n, 1f, SharedMemory.at(p, (long) pair * n * n), n, SharedMemory.at(in, v), stride, 0f,
                        SharedMemory.at(merged, (long) object * n * dim + (long) head * d), dim);
            });
        }
        return out;
    }
}
