package io.moxie.encoders.pointcloud;

import io.moxie.api.Config;
import io.moxie.api.MoxieException;

/**
 * The settings of an {@code octavius-3d} model ({@code config.json}, README-octavius §5), validated. A key the
 * configuration lacks takes the authors' value, as the reference's {@code full_config} does.
 *
 * @param numPoints points per object after sampling ({@code P})
 * @param numGroup Point-BERT group centres ({@code G})
 * @param groupSize neighbours per group ({@code K})
 * @param transDim Point-BERT width ({@code C})
 * @param depth Point-BERT blocks
 * @param numHeads Point-BERT attention heads
 * @param mlpHidden Point-BERT MLP width, {@code int(trans_dim * mlp_ratio)}
 * @param encoderDims mini-PointNet output width
 * @param encoderConv1 mini-PointNet width {@code c1}
 * @param encoderConv2 mini-PointNet width {@code c2}
 * @param encoderConv3 mini-PointNet width {@code c3}
 * @param posEmbedHidden hidden width of Point-BERT's {@code pos_embed}
 * @param pcProjection whether ULIP's {@code pc_projection} is applied to {@code cat(cls, max)}
 * @param objectFeatureDim {@code pc_projection_dim} when projecting, else {@code 2 * trans_dim}
 * @param numQuery resampler queries ({@code Q})
 * @param hiddenSize resampler width ({@code H})
 * @param resamplerHeads resampler attention heads
 * @param resamplerLayers resampler layers (cross- then self-attention each)
 * @param pos3dProjHidden hidden width of {@code pos_3d_proj}
 * @param llmHiddenSize output width of {@code llama_proj_3d}
 * @param layerNormEps LayerNorm epsilon
 * @param batchNormEps BatchNorm epsilon
 */
public record Octavius3dConfig(int numPoints, int numGroup, int groupSize, int transDim, int depth, int numHeads,
                               int mlpHidden, int encoderDims, int encoderConv1, int encoderConv2, int encoderConv3,
                               int posEmbedHidden, boolean pcProjection, int objectFeatureDim, int numQuery,
                               int hiddenSize, int resamplerHeads, int resamplerLayers, int pos3dProjHidden,
                               int llmHiddenSize, float layerNormEps, float batchNormEps) {

    /**
     * Reads and validates the settings (the reference's {@code check_config}).
     *
     * @throws MoxieException naming the setting at fault
     */
    public static Octavius3dConfig from(Config c) {
        int transDim = positive(c, "trans_dim", 384);
        boolean projection = c.getBoolean("pc_projection", false);
        int projectionDim = positive(c, "pc_projection_dim", 768);
        double mlpRatio = c.getDouble("mlp_ratio", 4.0);
        Octavius3dConfig cfg = new Octavius3dConfig(
                positive(c, "num_points", 2048), positive(c, "num_group", 512), positive(c, "group_size", 32),
                transDim, nonNegative(c, "depth", 12), positive(c, "num_heads", 6), (int) (transDim * mlpRatio),
                positive(c, "encoder_dims", 256), positive(c, "encoder_conv1", 128), positive(c, "encoder_conv2", 256),
                positive(c, "encoder_conv3", 512), positive(c, "pos_embed_hidden", 128), projection,
                projection ? projectionDim : 2 * transDim, positive(c, "num_query_rsp_3d", 16),
                positive(c, "hidden_size_rsp_3d", 768), positive(c, "num_heads_rsp_3d", 8),
                nonNegative(c, "num_layers_rsp_3d", 1), positive(c, "pos_3d_proj_hidden", 256),
                positive(c, "llm_hidden_size", 5120), (float) c.getDouble("layer_norm_eps", 1e-5),
                (float) c.getDouble("batch_norm_eps", 1e-5));
        cfg.check(c);
        return cfg;
    }

    private void check(Config c) {
        need(c, transDim % numHeads == 0, "trans_dim " + transDim + " must be divisible by num_heads " + numHeads);
        need(c, hiddenSize % resamplerHeads == 0, "hidden_size_rsp_3d " + hiddenSize
                + " must be divisible by num_heads_rsp_3d " + resamplerHeads);
        need(c, objectFeatureDim == hiddenSize, "object feature width " + objectFeatureDim
                + " (pc_projection_dim if pc_projection, else 2 * trans_dim) must equal hidden_size_rsp_3d " + hiddenSize);
        need(c, numGroup <= numPoints, "need num_group <= num_points, got " + numGroup + " > " + numPoints);
        need(c, groupSize <= numPoints, "need group_size <= num_points, got " + groupSize + " > " + numPoints);
        need(c, mlpHidden > 0, "trans_dim * mlp_ratio must be at least 1");
        need(c, !c.getBoolean("qkv_bias", false), "qkv_bias must be false (ULIP's Point-BERT has no qkv bias)");
        need(c, layerNormEps > 0 && batchNormEps > 0, "layer_norm_eps and batch_norm_eps must be positive");
    }

    private static int positive(Config c, String key, int fallback) {
        int v = c.getInt(key, fallback);
        need(c, v >= 1, "setting '" + key + "' must be at least 1, got " + v);
        return v;
    }

    private static int nonNegative(Config c, String key, int fallback) {
        int v = c.getInt(key, fallback);
        need(c, v >= 0, "setting '" + key + "' must not be negative, got " + v);
        return v;
    }

    private static void need(Config c, boolean ok, String message) {
        if (!ok) {
            throw new MoxieException(c.source() + ": bad octavius-3d config: " + message);
        }
    }
}
