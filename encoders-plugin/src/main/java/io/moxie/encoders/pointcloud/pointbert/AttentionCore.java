package io.moxie.encoders.pointcloud.pointbert;

import ai.djl.ndarray.NDArray;
import io.moxie.blas.OpenBlas;

/**
 * Multi-head scaled dot-product attention without masks from a fused projection: {@code qkv [B, N, 3C]} (columns
 * {@code [q | k | v]}, each split into {@code h} heads of {@code d = C / h} consecutive columns) to the heads'
 * outputs concatenated, {@code [B, N, C]}, in {@code qkv}'s manager. Scores are {@code (q kᵀ) · d^-0.5}, softmax over
 * the keys. Implementations are immutable, hence thread-safe.
 */
interface AttentionCore {

    NDArray attend(NDArray qkv);

    /** Returns the OpenBLAS core when the host has OpenBLAS, else the DJL one. */
    static AttentionCore of(NDArray anyWeight, int dim, int heads) {
        float scale = (float) Math.pow(dim / heads, -0.5); // Python's d ** -0.5, applied as a float32 scalar
        return OpenBlas.availableFor(anyWeight) ? new BlasAttentionCore(dim, heads, scale) : qkv -> djl(qkv, dim, heads, scale);
    }

    private static NDArray djl(NDArray qkv, int dim, int heads, float scale) {
        long b = qkv.getShape().get(0);
        long n = qkv.getShape().get(1);
        NDArray split = qkv.reshape(b, n, 3, heads, dim / heads).transpose(2, 0, 3, 1, 4); // [3, B, h, N, d]
        NDArray q = split.get(0);
        NDArray k = split.get(1);
        NDArray v = split.get(2);
        NDArray attention = q.matMul(k.transpose(0, 1, 3, 2)).muli(scale).softmax(-1);
        return attention.matMul(v).transpose(0, 2, 1, 3).reshape(b, n, dim);
    }
}
