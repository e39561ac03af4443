package io.moxie.encoders.pointcloud.pointbert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.LayerNorm;
import io.moxie.encoders.impl.LinearMap;
import java.util.List;

/**
 * Point-BERT's tokens and transformer (README-octavius §3.3) on a batch of objects: {@code reduce_dim} tokens after a
 * cls token, {@code pos_embed} of the centres after {@code cls_pos}, the position embedding added again before every
 * pre-LN block, multi-head attention without qkv bias ({@link AttentionCore}), exact-erf GELU MLP, final LayerNorm.
 * The linear maps run on OpenBLAS when the host has it ({@link LinearMap}), everything else in the engine.
 * Immutable, hence thread-safe.
 */
final class PointTransformer {
    private final TransformerWeights w;
    private final int dim;
    private final float eps;
    private final LinearMap reduceDim;
    private final LinearMap posEmbed0;
    private final LinearMap posEmbed2;
    private final List<BlockMaps> blocks;
    private final AttentionCore attention;

    /** A block's linear maps beside its norms. */
    private record BlockMaps(TransformerWeights.Block weights, LinearMap qkv, LinearMap proj, LinearMap fc1,
                             LinearMap fc2) {
    }

    PointTransformer(TransformerWeights weights, int dim, int heads, float layerNormEps) {
        this.w = weights;
        this.dim = dim;
        this.eps = layerNormEps;
        this.reduceDim = LinearMap.of(weights.reduceDim(), weights.reduceDimBias());
        this.posEmbed0 = LinearMap.of(weights.posEmbed0(), weights.posEmbed0Bias());
        this.posEmbed2 = LinearMap.of(weights.posEmbed2(), weights.posEmbed2Bias());
        this.blocks = weights.blocks().stream().map(b -> new BlockMaps(b, LinearMap.of(b.qkv(), null),
                LinearMap.of(b.proj(), b.projBias()), LinearMap.of(b.fc1(), b.fc1Bias()),
                LinearMap.of(b.fc2(), b.fc2Bias()))).toList();
        this.attention = AttentionCore.of(weights.norm(), dim, heads);
    }

    /**
     * @param groupFeatures {@code [B, G, encoder_dims]} float32
     * @param centers {@code [B, G, 3]} float32
     * @param manager receives the result; every intermediate is freed before returning
     * @return {@code [B, G+1, C]}: the tokens after the final norm, token 0 the cls token
     */
    NDArray forward(NDArray groupFeatures, NDArray centers, NDManager manager) {
        long b = groupFeatures.getShape().get(0);
        NDArray x;
        NDArray pos;
        try (NDManager setup = manager.newSubManager()) {
            groupFeatures.tempAttach(setup);
            centers.tempAttach(setup);
            NDArray tok = reduceDim.apply(groupFeatures);
            NDArray p = posEmbed2.apply(Activation.gelu(posEmbed0.apply(centers)));
            Shape one = new Shape(b, 1, dim);
            // start from zeros of this request so the broadcast lands in the request's memory, not the weights'
            NDArray cls = setup.zeros(one).addi(w.clsToken());
            NDArray clsPos = setup.zeros(one).addi(w.clsPos());
            x = NDArrays.concat(new NDList(cls, tok), 1);
            pos = NDArrays.concat(new NDList(clsPos, p), 1);
            x.attach(manager);
            pos.attach(manager);
        }
        for (BlockMaps block : blocks) {
            try (NDManager step = manager.newSubManager()) {
                x.attach(step); // the block's input dies with its intermediates
                NDArray next = block(x.add(pos), block);
                next.attach(manager);
                x = next;
            }
        }
        pos.close();
        try (NDManager last = manager.newSubManager()) {
            x.attach(last);
            NDArray out = layerNorm(x, w.norm(), w.normBias());
            out.attach(manager);
            return out;
        }
    }

    /** One block on {@code x} (position already added; updated in place), in x's manager. */
    private NDArray block(NDArray x, BlockMaps m) {
        TransformerWeights.Block p = m.weights();
        NDArray mixed = attention.attend(m.qkv().apply(layerNorm(x, p.norm1(), p.norm1Bias())));
        NDArray h = x.addi(m.proj().apply(mixed));
        NDArray up = Activation.gelu(m.fc1().apply(layerNorm(h, p.norm2(), p.norm2Bias())));
        return h.addi(m.fc2().apply(up));
    }

    private NDArray layerNorm(NDArray x, NDArray gamma, NDArray beta) {
        return LayerNorm.layerNorm(x, new Shape(dim), gamma, beta, eps).singletonOrThrow();
    }
}
