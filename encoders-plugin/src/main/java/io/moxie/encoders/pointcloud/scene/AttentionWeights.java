package io.moxie.encoders.pointcloud.scene;

import ai.djl.ndarray.NDArray;
import io.moxie.encoders.pointcloud.WeightLoader;

/**
 * One Octavius {@code MultiHeadAttention} (post-LN) of the resampler, as stored: four {@code Linear(H, H)} with bias
 * and a LayerNorm, all float32 in the component's manager.
 *
 * @param fcQ {@code attention.fc_q.weight} {@code [H, H]}
 * @param fcQBias {@code [H]}
 * @param fcK {@code attention.fc_k.weight} {@code [H, H]}
 * @param fcKBias {@code [H]}
 * @param fcV {@code attention.fc_v.weight} {@code [H, H]}
 * @param fcVBias {@code [H]}
 * @param fcO {@code attention.fc_o.weight} {@code [H, H]}
 * @param fcOBias {@code [H]}
 * @param norm {@code layer_norm.weight} {@code [H]}
 * @param normBias {@code layer_norm.bias} {@code [H]}
 */
record AttentionWeights(NDArray fcQ, NDArray fcQBias, NDArray fcK, NDArray fcKBias, NDArray fcV, NDArray fcVBias,
                        NDArray fcO, NDArray fcOBias, NDArray norm, NDArray normBias) {

    /** Loads the attention under {@code prefix}, e.g. {@code resampler_3d.cross_attn.0.}. */
    static AttentionWeights load(WeightLoader w, String prefix, int hidden) {
        String a = prefix + "attention.";
        return new AttentionWeights(
                w.load(a + "fc_q.weight", hidden, hidden), w.load(a + "fc_q.bias", hidden),
                w.load(a + "fc_k.weight", hidden, hidden), w.load(a + "fc_k.bias", hidden),
                w.load(a + "fc_v.weight", hidden, hidden), w.load(a + "fc_v.bias", hidden),
                w.load(a + "fc_o.weight", hidden, hidden), w.load(a + "fc_o.bias", hidden),
                w.load(prefix + "layer_norm.weight", hidden), w.load(prefix + "layer_norm.bias", hidden));
    }
}
