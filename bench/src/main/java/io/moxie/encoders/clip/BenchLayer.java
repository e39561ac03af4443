package io.moxie.encoders.clip;

import ai.djl.ndarray.NDArray;
import io.moxie.api.ComponentContext;
import io.moxie.api.Config;
import io.moxie.api.MoeSpec;
import io.moxie.api.RequestContext;
import io.moxie.encoders.impl.LayerNorm;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Benchmark access to one CLIP-MoE encoder layer exactly as the {@code clip-moe} stage builds and runs it (LayerNorm,
 * attention, LayerNorm, the kernel-wired MoE layer, both residuals), without the patch embedding around it. It sits in
 * the stage's package because the layer classes are package-private; the bench runs on a plain class path, where a
 * package may span jars.
 */
public final class BenchLayer {
    private final BiFunction<NDArray, RequestContext, NDArray> call;

    private BenchLayer(BiFunction<NDArray, RequestContext, NDArray> call) {
        this.call = call;
    }

    /** Builds the attention of layer 0 alone (no LayerNorm, no residual), on OpenBLAS where available or on DJL. */
    public static BenchLayer attention(ComponentContext context, int hidden, int heads, boolean djlAttention) {
        SelfAttention attention = SelfAttention.load(tower(hidden, heads), context.parameters(),
                "model.vision_tower.vision_model.encoder.layers.0.self_attn.", context.manager());
        SelfAttention chosen = djlAttention ? attention.onDjl() : attention;
        return new BenchLayer((x, request) -> chosen.forward(x));
    }

    private static TowerConfig tower(int hidden, int heads) {
        return TowerConfig.of(new Config(Map.of("hidden_size", hidden, "num_attention_heads", heads,
                "num_hidden_layers", 1, "image_size", 336, "patch_size", 14, "mm_vision_select_layer", -1), "bench"));
    }

    /**
     * Builds layer 0 of a CuMo checkpoint ({@code model.vision_tower.vision_model.encoder.layers.0.*}).
     *
     * @param djlAttention run the attention on DJL even where OpenBLAS is available (to show what that path costs)
     */
    public static BenchLayer load(ComponentContext context, int hidden, int heads, int experts, int topK,
                                  boolean djlAttention) {
        String p = "model.vision_tower.vision_model.encoder.layers.0.";
        TowerConfig tower = tower(hidden, heads);
        LayerNorm norm1 = LayerNorm.load(context.parameters(), p + "layer_norm1.", hidden, tower.eps(), context.manager());
        SelfAttention attention = SelfAttention.load(tower, context.parameters(), p + "self_attn.", context.manager());
        LayerNorm norm2 = LayerNorm.load(context.parameters(), p + "layer_norm2.", hidden, tower.eps(), context.manager());
        MoeSpec spec = new MoeSpec("layer0", p + "gate.weight", experts, topK,
                Map.of("fc1.weight", p + "experts.{e}.fc1.weight", "fc1.bias", p + "experts.{e}.fc1.bias",
                        "fc2.weight", p + "experts.{e}.fc2.weight", "fc2.bias", p + "experts.{e}.fc2.bias"),
                Map.of("activation", "quick_gelu", "input_size", Integer.toString(hidden)));
        EncoderLayer layer = new EncoderLayer(norm1, djlAttention ? attention.onDjl() : attention, norm2,
                context.moeLayer(spec), null);
        return new BenchLayer((x, request) -> layer.forward(x, request).hidden());
    }

    /** Runs the layer on {@code x [N, T, D]}; the result belongs to {@code x}'s manager. */
    public NDArray forward(NDArray x, RequestContext request) {
        return call.apply(x, request);
    }
}
