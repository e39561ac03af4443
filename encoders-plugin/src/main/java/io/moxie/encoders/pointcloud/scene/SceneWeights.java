package io.moxie.encoders.pointcloud.scene;

import ai.djl.ndarray.NDArray;
import io.moxie.encoders.pointcloud.Octavius3dConfig;
import io.moxie.encoders.pointcloud.WeightLoader;
import java.util.ArrayList;
import java.util.List;

/**
 * The scene aggregation weights of the Octavius delta checkpoint (README-octavius §6), as stored, all float32 in the
 * component's manager.
 *
 * @param pos0 {@code pos_3d_proj.0.weight} {@code [pos_3d_proj_hidden, 6]}
 * @param pos0Bias {@code [pos_3d_proj_hidden]}
 * @param pos2 {@code pos_3d_proj.2.weight} {@code [H, pos_3d_proj_hidden]}
 * @param pos2Bias {@code [H]}
 * @param queries {@code resampler_3d.query_embed.weight} {@code [Q, H]}
 * @param crossAttention {@code resampler_3d.cross_attn.i}, one per layer
 * @param selfAttention {@code resampler_3d.self_attn.i}, one per layer
 * @param proj {@code llama_proj_3d.0.weight} {@code [llm_hidden_size, H]}
 * @param projBias {@code [llm_hidden_size]}
 * @param projNorm {@code llama_proj_3d.1.weight} (LayerNorm) {@code [llm_hidden_size]}
 * @param projNormBias {@code [llm_hidden_size]}
 */
record SceneWeights(NDArray pos0, NDArray pos0Bias, NDArray pos2, NDArray pos2Bias, NDArray queries,
                    List<AttentionWeights> crossAttention, List<AttentionWeights> selfAttention, NDArray proj,
                    NDArray projBias, NDArray projNorm, NDArray projNormBias) {

    static SceneWeights load(WeightLoader w, Octavius3dConfig c) {
        int h = c.hiddenSize();
        int ph = c.pos3dProjHidden();
        int llm = c.llmHiddenSize();
        List<AttentionWeights> cross = new ArrayList<>();
        List<AttentionWeights> self = new ArrayList<>();
        for (int i = 0; i < c.resamplerLayers(); i++) {
            cross.add(AttentionWeights.load(w, "resampler_3d.cross_attn." + i + ".", h));
            self.add(AttentionWeights.load(w, "resampler_3d.self_attn." + i + ".", h));
        }
        return new SceneWeights(w.load("pos_3d_proj.0.weight", ph, 6), w.load("pos_3d_proj.0.bias", ph),
                w.load("pos_3d_proj.2.weight", h, ph), w.load("pos_3d_proj.2.bias", h),
                w.load("resampler_3d.query_embed.weight", c.numQuery(), h), List.copyOf(cross), List.copyOf(self),
                w.load("llama_proj_3d.0.weight", llm, h), w.load("llama_proj_3d.0.bias", llm),
                w.load("llama_proj_3d.1.weight", llm), w.load("llama_proj_3d.1.bias", llm));
    }
}
