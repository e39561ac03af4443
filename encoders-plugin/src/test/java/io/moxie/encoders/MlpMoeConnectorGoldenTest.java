package io.moxie.encoders;

import io.moxie.kernel.pipeline.PipelineDefinition;
import io.moxie.kernel.pipeline.PipelineYaml;
import io.moxie.kernel.tensor.HostTensor;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The connector alone: a golden case's {@code vision_features} to its {@code projected} and projector routing. */
class MlpMoeConnectorGoldenTest {
    private static final String YAML = """
            name: connector-${experts}
            inputs:
              - {name: vision_features, dtype: float32, shape: [-1, -1, -1]}
            stages:
              - name: connector
                kind: mlp-moe-connector
                model: ${model}
                router: topk
                experts: ${experts}
                inputs: {features: vision_features}
            outputs:
              projected: connector.projected
              projector_router_indices: connector.router_indices
              projector_router_weights: connector.router_weights
            """;

    @TempDir
    Path scratch;

    @Test
    void connectorMapsTheGoldenVisionFeaturesToTheGoldenProjectionAndRouting() {
        GoldenCase golden = GoldenCase.load("tiny-noS2");
        Map<String, HostTensor> inputs = Map.of("vision_features", golden.expected().get("vision_features"));
        Set<String> keys = Set.of("projected", "projector_router_indices", "projector_router_weights");
        try (TestEngine engine = new TestEngine(scratch)) {
            for (String experts : new String[] {"mlp", "grouped-mlp"}) {
                PipelineDefinition def = new PipelineYaml().parse(YAML, "connector test",
                        Map.of("model", golden.dir().toString(), "experts", experts));
                engine.deploy(def);
                Map<String, HostTensor> out = engine.infer(def.name(), inputs);
                Map<String, Double> errors = golden.check(out, "connector on " + experts, keys);
                System.out.printf("golden tiny-noS2 connector alone on %-12s max abs error: projected %.2e%n", experts,
                        errors.get("projected"));
            }
        }
    }
}
