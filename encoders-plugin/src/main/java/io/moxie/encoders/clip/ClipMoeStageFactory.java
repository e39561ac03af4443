package io.moxie.encoders.clip;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ComponentContext;
import io.moxie.api.Config;
import io.moxie.api.ModelFormatException;
import io.moxie.api.MoeLayer;
import io.moxie.api.MoeSpec;
import io.moxie.api.ParameterStore;
import io.moxie.api.Stage;
import io.moxie.api.StageFactory;
import io.moxie.api.TensorSpec;
import io.moxie.encoders.clip.layout.CanonicalTowerStore;
import io.moxie.encoders.clip.layout.ClipKeyLayout;
import io.moxie.encoders.impl.AbsentPartStage;
import io.moxie.encoders.impl.DenseMlp;
import io.moxie.encoders.impl.LayerNorm;
import io.moxie.encoders.impl.StageSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Component;

/**
 * Builds {@code clip-moe} stages: CuMo's CLIP vision tower (README §4.1–4.4 of the CuMo reference), every MLP block a
 * MoE layer obtained from the kernel ({@code layer{l}}), so the pipeline chooses router and expert bank.
 *
 * <p>Ports: input {@code pixel_values} float32 {@code [N, C, S, S]} (images or S² crops); outputs {@code features}
 * float32 {@code [N, G², D]} ({@code [N, G²+1, D]} with {@code cls_patch}) and, per used layer {@code l},
 * {@code router_indices_layer{l}} int64 / {@code router_weights_layer{l}} float32 {@code [N, G²+1, k]}.
 *
 * <p>Settings (model {@code config.json}): {@code hidden_size}, {@code num_attention_heads}, {@code num_hidden_layers},
 * {@code image_size}, {@code patch_size}, {@code num_channels} (3), {@code layer_norm_eps} (1e-5), {@code hidden_act}
 * ({@code quick_gelu}), {@code mm_vision_select_layer} (-2), {@code mm_vision_select_feature} ({@code patch}),
 * {@code clip_smoe} (true), {@code num_experts}, {@code num_experts_per_tok}, {@code num_vision_token} (all patches).
 * Only the layers the selected feature depends on are loaded and run. A dense checkpoint ({@code clip_smoe} false,
 * or no gate but {@code ...layers.{l}.mlp.fc1.weight}) runs its plain MLPs and has no routing outputs.
 *
 * <p>Octavius' dense tower (README-octavius2d §3) is this stage configured: {@code mm_vision_select_layer: -1}
 * (every layer, no {@code post_layernorm}), {@code mm_vision_select_feature: patch} and the model's
 * {@code num_vision_token}. The tower may be stored in any {@link ClipKeyLayout} (read from the keys; MoE layers
 * only in CuMo's); other tensors of the checkpoint are ignored. Stage settings: {@code config_section}
 * ({@link StageSettings}; without that section in the model, requests giving {@code pixel_values} are refused) and
 * {@code input_optional} (false): serve a request without {@code pixel_values} with no outputs.
 */
@Component(service = StageFactory.class)
public final class ClipMoeStageFactory implements StageFactory {

    /** The kind pipeline definitions use: {@code kind: clip-moe}. */
    public static final String KIND = "clip-moe";

    private static final String PREFIX = ClipKeyLayout.CANONICAL_PREFIX;

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Stage create(ComponentContext context) {
        Optional<Config> settings = StageSettings.resolve(context.config());
        if (settings.isEmpty()) {
            return new AbsentPartStage(List.of(TensorSpec.any(ClipMoeStage.PIXEL_VALUES)),
                    List.of(new TensorSpec(ClipMoeStage.FEATURES, DataType.FLOAT32, new long[] {-1, -1, -1})), Map.of(),
                    StageSettings.missing(context.config(), context.parameters().modelName()));
        }
        Config config = settings.get();
        CanonicalTowerStore params = CanonicalTowerStore.of(context.parameters());
        TowerConfig tower = TowerConfig.of(config);
        // MoE layers are CuMo's: the kernel loads their gates and experts under CuMo's names
        boolean moe = params.layout() == ClipKeyLayout.CUMO && config.getBoolean("clip_smoe", true)
                && (params.contains(layer(0) + "gate.weight") || !params.contains(layer(0) + "mlp.fc1.weight"));
        int experts = moe ? config.getInt("num_experts") : 0;
        int topK = moe ? config.getInt("num_experts_per_tok") : 0;
        List<EncoderLayer> layers = new ArrayList<>();
        for (int l = 0; l < tower.layersUsed(); l++) {
            String p = layer(l);
            // the MLP feeds a residual: its output width must be D (the banks only check their own consistency)
            requireRows(params, p + (moe ? "experts.0." : "mlp.") + "fc2.weight", tower.hiddenSize());
            LayerNorm norm1 = LayerNorm.load(params, p + "layer_norm1.", tower.hiddenSize(), tower.eps(), context.manager());
            SelfAttention attention = SelfAttention.load(tower, params, p + "self_attn.", context.manager());
            LayerNorm norm2 = LayerNorm.load(params, p + "layer_norm2.", tower.hiddenSize(), tower.eps(), context.manager());
            MoeLayer moeLayer = moe ? context.moeLayer(spec(l, tower, experts, topK)) : null;
            DenseMlp dense = moe ? null : DenseMlp.load(params, p + "mlp.fc1.", p + "mlp.fc2.", tower.hiddenSize(),
                    tower.activation(), context.manager());
            layers.add(new EncoderLayer(norm1, attention, norm2, moeLayer, dense));
        }
        PatchEmbedding embedding = PatchEmbedding.load(tower, params, PREFIX, context.manager());
        boolean inputOptional = config.getBoolean("input_optional", false);
        return new ClipMoeStage(context.name(), tower, embedding, layers, topK, inputOptional);
    }

    private static void requireRows(ParameterStore params, String key, long rows) {
        Shape shape = params.shape(key);
        if (shape.dimension() != 2 || shape.get(0) != rows) {
            throw new ModelFormatException("model '" + params.modelName() + "': tensor '" + key + "' has shape " + shape
                    + ", expected [" + rows + ", intermediate_size]");
        }
    }

    private static MoeSpec spec(int l, TowerConfig tower, int experts, int topK) {
        String p = layer(l);
        return new MoeSpec("layer" + l, p + "gate.weight", experts, topK,
                Map.of("fc1.weight", p + "experts.{e}.fc1.weight", "fc1.bias", p + "experts.{e}.fc1.bias",
                        "fc2.weight", p + "experts.{e}.fc2.weight", "fc2.bias", p + "experts.{e}.fc2.bias"),
                Map.of("activation", tower.activation().configName(), "input_size", Integer.toString(tower.hiddenSize())));
    }

    private static String layer(int l) {
        return PREFIX + "encoder.layers." + l + ".";
    }
}
