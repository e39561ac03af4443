package io.moxie.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import io.moxie.api.ComponentContext;
import io.moxie.api.MoeSpec;
import io.moxie.api.ParameterStore;
import io.moxie.blas.BlasLinear;
import io.moxie.blas.OpenBlas;
import io.moxie.blas.SharedMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ObjIntConsumer;
import java.util.function.UnaryOperator;

/**
 * The decoder's weights and layers: token embeddings, the layer stack, the final RMSNorm and {@code lm_head} (the
 * embeddings when tied). Mixtral's MoE blocks and Octavius' LoRA-MoE projections are {@link io.moxie.api.MoeLayer}s
 * obtained from the context, so their router and expert bank are whatever the pipeline chose. All weights live in the
 * component's manager; requests only ever use them as right-hand operands or through {@code get(manager, ...)}, so
 * nothing a request computes lands there. On the CPU the dense projections and {@code lm_head} run on OpenBLAS
 * ({@link Projection#dense}, {@link FeedForward#dense}), on DJL elsewhere; when every layer does, a decode step's
 * layers run as one {@link DecodeStep} without engine operations. Immutable, hence thread-safe.
 */
final class DecoderModel {
    private final DecoderConfig config;
    private final NDArray embedding;
    private final UnaryOperator<NDArray> lmHead;
    private final RmsNorm finalNorm;
    private final DecoderLayer[] layers;
    private final Rope rope;
    // the layers of a decode step without engine operations, or null when some layer cannot run that way
    private final DecodeStep decodeStep;

    private DecoderModel(DecoderConfig config, NDArray embedding, UnaryOperator<NDArray> lmHead, RmsNorm finalNorm,
                         DecoderLayer[] layers, Rope rope) {
        this.config = config;
        this.embedding = embedding;
        this.lmHead = lmHead;
        this.finalNorm = finalNorm;
        this.layers = layers;
        this.rope = rope;
        this.decodeStep = decodeStep(config, layers, rope);
    }

    /** Returns the fused decode step of {@code layers}, or null unless every one of them has one. */
    static DecodeStep decodeStep(DecoderConfig config, DecoderLayer[] layers, Rope rope) {
        DecodeLayer[] fused = new DecodeLayer[layers.length];
        for (int i = 0; i < layers.length; i++) {
            fused[i] = layers[i].decodeLayer(i, config);
            if (fused[i] == null) {
                return null;
            }
        }
        return new DecodeStep(config, fused, rope.inverseFrequencies());
    }

    /**
     * Loads the weights and builds the MoE layers.
     *
     * @throws io.moxie.api.ModelFormatException naming a missing or mis-shaped tensor
     */
    static DecoderModel load(ComponentContext context, DecoderConfig c) {
        ParameterStore p = context.parameters();
        NDManager m = context.manager();
        long d = c.hiddenSize();
        NDArray embedding = p.load(CheckpointKeys.EMBED, new Shape(c.vocabSize(), d), m);
        NDArray lmHead = c.tiedEmbeddings() ? embedding
                : p.load(CheckpointKeys.LM_HEAD, new Shape(c.vocabSize(), d), m);
        Rope rope = new Rope(m, c.headDim(), c.ropeTheta());
        DecoderLayer[] layers = new DecoderLayer[c.numLayers()];
        for (int i = 0; i < layers.length; i++) {
            String prefix = CheckpointKeys.layer(i);
            layers[i] = new DecoderLayer(
                    new RmsNorm(p.load(prefix + "input_layernorm.weight", new Shape(d), m), c.rmsNormEps()),
                    attention(context, c, i),
                    new RmsNorm(p.load(prefix + "post_attention_layernorm.weight", new Shape(d), m), c.rmsNormEps()),
                    c.sparseMoe() ? new FeedForward.SparseMoe(context.moeLayer(mixtralSpec(c, i))) : denseMlp(p, m, c, i));
        }
        RmsNorm norm = new RmsNorm(p.load(CheckpointKeys.FINAL_NORM, new Shape(d), m), c.rmsNormEps());
        return new DecoderModel(c, embedding, linear(lmHead), norm, layers, rope);
    }

    private static Attention attention(ComponentContext context, DecoderConfig c, int i) {
        ParameterStore p = context.parameters();
        NDManager m = context.manager();
        long d = c.hiddenSize();
        long qOut = (long) c.numHeads() * c.headDim();
        long kvOut = (long) c.numKvHeads() * c.headDim();
        long[] outs = {qOut, kvOut, kvOut, d};
        long[] ins = {d, d, d, qOut};
        Projection[] proj = new Projection[4];
        List<String> keys = new ArrayList<>();
        List<Shape> shapes = new ArrayList<>();
        for (int j = 0; j < 4; j++) {
            String name = DecoderConfig.PROJECTIONS.get(j);
            if (c.loraTargets().contains(name)) {
                proj[j] = Projection.moe(context.moeLayer(loraSpec(c, i, name)));
            } else {
                keys.add(CheckpointKeys.attention(i, name));
                shapes.add(new Shape(outs[j], ins[j]));
            }
        }
        boolean fuse = proj[0] == null && proj[1] == null && proj[2] == null;
        if (fuse) {
            // q, k and v loaded straight into one array: no freed per-projection copies left in the allocator
            NDArray qkv = p.loadConcatenated(keys.subList(0, 3), shapes.subList(0, 3), m);
            Projection out = proj[3] != null ? proj[3] : Projection.dense(p.load(keys.get(3), shapes.get(3), m));
            return new Attention(i, c, Projection.dense(qkv), null, out);
        }
        int next = 0;
        for (int j = 0; j < 4; j++) {
            if (proj[j] == null) {
                proj[j] = Projection.dense(p.load(keys.get(next), shapes.get(next), m));
                next++;
            }
        }
        return new Attention(i, c, null, new Projection[] {proj[0], proj[1], proj[2]}, proj[3]);
    }

    private static FeedForward denseMlp(ParameterStore p, NDManager m, DecoderConfig c, int i) {
        String prefix = CheckpointKeys.layer(i) + "mlp.";
        Shape upShape = new Shape(c.intermediateSize(), c.hiddenSize());
        NDArray gateUp = p.loadConcatenated(List.of(prefix + "gate_proj.weight", prefix + "up_proj.weight"),
                List.of(upShape, upShape), m);
        NDArray down = p.load(prefix + "down_proj.weight", new Shape(c.hiddenSize(), c.intermediateSize()), m);
        return FeedForward.dense(gateUp, down);
    }

    /** {@code x -> x Wᵀ} on OpenBLAS for a CPU weight, on DJL otherwise; results go to {@code x}'s manager. */
    private static UnaryOperator<NDArray> linear(NDArray weight) {
        if (OpenBlas.availableFor(weight)) {
            // as stored, never fastestLayout: that closes the weight, and a tied lm_head is the embedding table too
            return BlasLinear.of(weight, null, BlasLinear.Split.SHARE_WEIGHT)::apply;
        }
        return x -> Linear.linear(x, weight).singletonOrThrow();
    }

    /** The MoE spec of Mixtral's block of layer {@code i}: the {@code topk} gate and {@code swiglu} experts. */
    static MoeSpec mixtralSpec(DecoderConfig c, int i) {
        return new MoeSpec("layer" + i, CheckpointKeys.mixtralGate(i), c.localExperts(), c.expertsPerToken(),
                Map.of("w1", CheckpointKeys.mixtralExpert(i, "w1"), "w2", CheckpointKeys.mixtralExpert(i, "w2"),
                        "w3", CheckpointKeys.mixtralExpert(i, "w3")),
                Map.of("activation", "silu"));
    }

    /** The MoE spec of one LoRA-MoE projection: the instance gate, the base weight and the stacked experts. */
    static MoeSpec loraSpec(DecoderConfig c, int i, String proj) {
        return new MoeSpec(loraLayerName(i, proj), CheckpointKeys.LORA_GATE, c.loraExperts(), c.loraTopK(),
                Map.of("base", CheckpointKeys.attention(i, proj), "A", CheckpointKeys.lora(i, proj, "A"),
                        "B", CheckpointKeys.lora(i, proj, "B")),
                Map.of());
    }

    /** Returns the MoE layer name of a LoRA-MoE projection, as routing traces show it. */
    static String loraLayerName(int i, String proj) {
        return "layer" + i + "." + proj;
    }

    /** Returns the embeddings of {@code ids} (all in {@code [0, vocab)}), {@code [n, d]}, in {@code manager}. */
    NDArray embed(long[] ids, NDManager manager) {
        return embedding.get(manager, new NDIndex("{}", manager.create(ids)));
    }

    /**
     * Runs the layer stack on {@code h [t, d]} (in the pass's scope).
     *
     * @param afterLayer receives each layer's output and its index, or null
     * @return the residual stream after the last layer, in the pass's scope
     */
    NDArray layers(NDArray h, ForwardPass pass, ObjIntConsumer<NDArray> afterLayer) {
        // the fused step also needs the request's arrays (this row, the cache, its scratch) in host memory, which a
        // request whose memory lives on a GPU does not give even when the weights are on the CPU
        if (decodeStep != null && afterLayer == null && pass.tokens() == 1 && pass.cache() != null
                && pass.mask() == null && SharedMemory.shareable(h)) {
            return decodeStep.apply(h, pass);
        }
        NDArray x = h;
        for (int i = 0; i < layers.length; i++) {
            NDArray input = x;
            // Each layer's intermediates live in a scope of their own, closed once its output is out. Kept until the
            // end of the call, a 527-row forward's (an 8.9 MB score map and its softmax per layer, ...) added up to
            // hundreds of MB, which the C allocator gave back to the kernel when the call ended and which the next
            // call faulted in again, page by zeroed page: half of its time.
            try (NDManager layerScope = pass.manager().newSubManager()) {
                if (input == h) {
                    input.tempAttach(layerScope); // the caller's: back to its manager when the scope closes
                } else {
                    input.attach(layerScope); // the previous layer's output, not needed after this layer
                }
                x = layers[i].forward(input, pass);
                if (x != h) {
                    x.attach(pass.manager()); // attaching the caller's array would take it from the caller
                }
            }
            if (afterLayer != null) {
                afterLayer.accept(x, i);
            }
        }
        return x;
    }

    /** Returns {@code lm_head(RMSNorm(h))}, {@code [t, vocab]}, in {@code h}'s manager. */
    NDArray logits(NDArray h) {
        return lmHead.apply(finalNorm.apply(h));
    }

    DecoderConfig config() {
        return config;
    }

    Rope rope() {
        return rope;
    }
}
