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

    /** Returns the residual stream after this layer, {@code [t, d]} in the pass's scope. */
    NDArray forward(NDArray h, ForwardPass pass) {
        NDArray afterAttention = h.add(attention.forward(inputNorm.apply(h), pass));
        return afterAttention.addi(mlp.forward(postAttentionNorm.apply(afterAttention), pass));
    }
}
