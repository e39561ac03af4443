package io.moxie.decoder;

import ai.djl.ndarray.NDArray;

/**
 * Llama's RMSNorm: {@code w ⊙ (x / sqrt(mean_j(x_j²) + eps))} over the last dimension, in float32, the weight applied
 * after normalising (HF {@code LlamaRMSNorm}). Immutable.
 */
final class RmsNorm {
    private final NDArray weight;
    private final float eps;

    /** @param weight {@code [d]} float32, owned by the component's manager */
    RmsNorm(NDArray weight, double eps) {
        this.weight = weight;
        this.eps = (float) eps;
    }

    NDArray weight() {
        return weight;
    }

    /** Normalises {@code x [t, d]}; the result belongs to {@code x}'s manager. */
    NDArray apply(NDArray x) {
        NDArray meanSquare = x.square().mean(new int[] {-1}, true);
        return x.div(meanSquare.addi(eps).sqrt()).muli(weight);
    }
}
