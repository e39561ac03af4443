package io.moxie.decoder;

import ai.djl.ndarray.NDArray;

/**
 * One pre-norm decoder layer: {@code h += attn(RMSNorm(h))}, then {@code h += mlp(RMSNorm(h))}. Immutable.
 */
final class DecoderLayer {
    private final RmsNorm inputNorm;
    private final Attention attention;
    private final RmsNorm postAttentionNorm;
    private final FeedForward mlp;

    DecoderLayer(RmsNorm inputNorm, Attention attention, RmsNorm postAttentionNorm, FeedForward mlp) {
        this.inputNorm = inputNorm;
        this.attention = attention;
        this.postAttentionNorm = postAttentionNorm;
        this.mlp = mlp;
    }

    /**
     * Returns this layer's decode step in plain Java and OpenBLAS, or null unless its q/k/v, output and MLP
     * projections all run on OpenBLAS (fused q/k/v, dense MLP).
     */
    DecodeLayer decodeLayer(int index, DecoderConfig config) {
        if (attention.qkv() instanceof Projection.Blas qkv && attention.out() instanceof Projection.Blas out
                && mlp instanceof FeedForward.Blas dense) {
            return new DecodeLayer(index, config, inputNorm.weight().toFloatArray(),
                    postAttentionNorm.weight().toFloatArray(), qkv.map(), out.map(), dense.gateUp(), dense.down());
        }
        return null;
    }

    /** Returns the residual stream after this layer, {@code [t, d]} in {@code h}'s scope. */
    NDArray forward(NDArray h, ForwardPass pass) {
        NDArray afterAttention = h.add(attention.forward(inputNorm.apply(h), pass));
        return afterAttention.addi(mlp.forward(postAttentionNorm.apply(afterAttention), pass));
    }
}
