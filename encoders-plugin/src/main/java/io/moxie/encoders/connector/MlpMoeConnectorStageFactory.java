package io.moxie.encoders.connector;

import io.moxie.api.ComponentContext;
import io.moxie.api.Config;
import io.moxie.api.MoeSpec;
import io.moxie.api.ParameterStore;
import io.moxie.api.Stage;
import io.moxie.api.StageFactory;
import io.moxie.encoders.impl.Activation;
import io.moxie.encoders.impl.DenseMlp;
import java.util.Map;
import org.osgi.service.component.annotations.Component;

/**
 * Builds {@code mlp-moe-connector} stages: CuMo's {@code smoe_mlp} projector (README §4.6), a MoE block applied to
 * every token independently, experts {@code Linear(Cin, H) → GELU → Linear(H, H)} with no residual.
 *
 * <p>Ports: input {@code features} float32 {@code [B, N, Cin]}; outputs {@code projected} float32
 * {@code [B, N, H]}, {@code router_indices} int64 {@code [B, N, k]} and {@code router_weights} float32
 * {@code [B, N, k]}. Checkpoint keys: {@code model.mm_projector.gate.weight} {@code [E, Cin]},
 * {@code model.mm_projector.experts.{e}.0.weight/bias} and {@code .2.weight/bias}. Settings: {@code num_experts},
 * {@code num_experts_per_tok}, {@code projector_hidden_act} (default {@code gelu}), {@code mlp_smoe} (default true).
 *
 * <p>A dense checkpoint ({@code mlp_smoe} false, or no gate but {@code model.mm_projector.0.weight}: LLaVA's
 * {@code mlp2x_gelu}, CuMo before co-upcycling) runs as a plain MLP and has no routing outputs. {@code Cin} and
 * {@code H} come from the checkpoint.
 */
@Component(service = StageFactory.class)
public final class MlpMoeConnectorStageFactory implements StageFactory {

    /** The kind pipeline definitions use: {@code kind: mlp-moe-connector}. */
    public static final String KIND = "mlp-moe-connector";

    private static final String PREFIX = "model.mm_projector.";
    private static final String GATE = PREFIX + "gate.weight";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Stage create(ComponentContext context) {
        Config config = context.config();
        ParameterStore params = context.parameters();
        Activation activation = Activation.of(config.getString("projector_hidden_act", "gelu"),
                config.source() + ": setting 'projector_hidden_act'");
        boolean moe = config.getBoolean("mlp_smoe", true)
                && (params.contains(GATE) || !params.contains(PREFIX + "0.weight"));
        if (!moe) {
            long inputSize = params.shape(PREFIX + "0.weight").get(1);
            DenseMlp mlp = DenseMlp.load(params, PREFIX + "0.", PREFIX + "2.", inputSize, activation, context.manager());
            return new MlpMoeConnectorStage(context.name(), inputSize, mlp.outputSize(), 0, mlp, null);
        }
        int experts = config.getInt("num_experts");
        int topK = config.getInt("num_experts_per_tok");
        String firstExpert = PREFIX + "experts.0.0.weight";
        long inputSize = params.shape(firstExpert).get(1);
        long outputSize = params.shape(PREFIX + "experts.0.2.weight").get(0);
        MoeSpec spec = new MoeSpec("projector", GATE, experts, topK,
                Map.of("fc1.weight", PREFIX + "experts.{e}.0.weight", "fc1.bias", PREFIX + "experts.{e}.0.bias",
                        "fc2.weight", PREFIX + "experts.{e}.2.weight", "fc2.bias", PREFIX + "experts.{e}.2.bias"),
                Map.of("activation", activation.configName(), "input_size", Long.toString(inputSize)));
        return new MlpMoeConnectorStage(context.name(), inputSize, outputSize, topK, null, context.moeLayer(spec));
    }
}
