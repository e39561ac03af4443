package io.moxie.encoders.pointcloud.pointbert;

import ai.djl.ndarray.NDArray;
import io.moxie.encoders.pointcloud.Octavius3dConfig;
import io.moxie.encoders.pointcloud.WeightLoader;
import java.util.ArrayList;
import java.util.List;

/**
 * Point-BERT's token, position and transformer weights (ULIP {@code PointTransformer}, prefix {@code point_encoder.}),
 * as stored ({@code Linear} weights {@code [out, in]}), all float32 in the component's manager.
 *
 * @param reduceDim {@code reduce_dim.weight} {@code [C, encoder_dims]}
 * @param reduceDimBias {@code [C]}
 * @param clsToken {@code [1, 1, C]}
 * @param clsPos {@code [1, 1, C]}
 * @param posEmbed0 {@code pos_embed.0.weight} {@code [pos_embed_hidden, 3]}
 * @param posEmbed0Bias {@code [pos_embed_hidden]}
 * @param posEmbed2 {@code pos_embed.2.weight} {@code [C, pos_embed_hidden]}
 * @param posEmbed2Bias {@code [C]}
 * @param blocks the {@code depth} blocks, in order
 * @param norm the final LayerNorm weight {@code [C]}
 * @param normBias {@code [C]}
 * @param pcProjection ULIP's {@code pc_projection} {@code [2C, D]} used as {@code x @ P}, or null when not applied
 */
record TransformerWeights(NDArray reduceDim, NDArray reduceDimBias, NDArray clsToken, NDArray clsPos,
                          NDArray posEmbed0, NDArray posEmbed0Bias, NDArray posEmbed2, NDArray posEmbed2Bias,
                          List<Block> blocks, NDArray norm, NDArray normBias, NDArray pcProjection) {
    private static final String P = "point_encoder.";

    /** One pre-LN block: {@code x += attn(LN1(x)); x += mlp(LN2(x))}. Shapes as in README-octavius §6. */
    record Block(NDArray norm1, NDArray norm1Bias, NDArray qkv, NDArray proj, NDArray projBias, NDArray norm2,
                 NDArray norm2Bias, NDArray fc1, NDArray fc1Bias, NDArray fc2, NDArray fc2Bias) {
    }

    static TransformerWeights load(WeightLoader w, Octavius3dConfig c) {
        int dim = c.transDim();
        int hidden = c.mlpHidden();
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < c.depth(); i++) {
            String b = P + "blocks.blocks." + i + ".";
            blocks.add(new Block(w.load(b + "norm1.weight", dim), w.load(b + "norm1.bias", dim),
                    w.load(b + "attn.qkv.weight", 3L * dim, dim),
                    w.load(b + "attn.proj.weight", dim, dim), w.load(b + "attn.proj.bias", dim),
                    w.load(b + "norm2.weight", dim), w.load(b + "norm2.bias", dim),
                    w.load(b + "mlp.fc1.weight", hidden, dim), w.load(b + "mlp.fc1.bias", hidden),
                    w.load(b + "mlp.fc2.weight", dim, hidden), w.load(b + "mlp.fc2.bias", dim)));
        }
        int pe = c.posEmbedHidden();
        return new TransformerWeights(
                w.load(P + "reduce_dim.weight", dim, c.encoderDims()), w.load(P + "reduce_dim.bias", dim),
                w.load(P + "cls_token", 1, 1, dim), w.load(P + "cls_pos", 1, 1, dim),
                w.load(P + "pos_embed.0.weight", pe, 3), w.load(P + "pos_embed.0.bias", pe),
                w.load(P + "pos_embed.2.weight", dim, pe), w.load(P + "pos_embed.2.bias", dim),
                List.copyOf(blocks), w.load(P + "norm.weight", dim), w.load(P + "norm.bias", dim),
                c.pcProjection() ? w.load("pc_projection", 2L * dim, c.objectFeatureDim()) : null);
    }
}
