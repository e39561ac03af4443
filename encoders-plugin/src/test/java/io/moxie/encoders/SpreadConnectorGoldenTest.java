package io.moxie.encoders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.moxie.kernel.device.DeviceManager;
import io.moxie.kernel.device.DeviceStatus;
import io.moxie.kernel.pipeline.PipelineDefinition;
import io.moxie.kernel.pipeline.PipelineYaml;
import io.moxie.kernel.tensor.HostTensor;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CuMo connector with its experts spread over two simulated devices ({@code placement: {experts: spread}}), on
 * the real expert banks: still the golden projection and routing, each device leased its share, all returned on
 * unload.
 */
class SpreadConnectorGoldenTest {
    private static final String YAML = """
            name: connector-${name}
            inputs:
              - {name: vision_features, dtype: float32, shape: [-1, -1, -1]}
            stages:
              - name: connector
                kind: mlp-moe-connector
                model: ${model}
                router: topk
                experts: ${experts}
                inputs: {features: vision_features}
                config: {placement: {experts: spread, devices: [sim(0), sim(1)]}, offload_budget: 50%}
            outputs:
              projected: connector.projected
              projector_router_indices: connector.router_indices
              projector_router_weights: connector.router_weights
            """;

    @TempDir
    Path scratch;

    @Test
    void aSpreadConnectorGivesTheGoldenOutputsOnEveryBankAndReturnsItsLeases() {
        GoldenCase golden = GoldenCase.load("tiny-noS2");
        Map<String, HostTensor> inputs = Map.of("vision_features", golden.expected().get("vision_features"));
        Set<String> keys = Set.of("projected", "projector_router_indices", "projector_router_weights");
        Map<Device, Long> simulated = new LinkedHashMap<>();
        simulated.put(Device.of("sim", 0), 1L << 30);
        simulated.put(Device.of("sim", 1), 1L << 30);
        try (TestEngine engine = new TestEngine(scratch, new DeviceManager(Map.of(Device.cpu(), 1L << 34), simulated))) {
            for (String experts : new String[] {"grouped-mlp", "offloaded-mlp", "grouped-mlp-blas"}) {
                PipelineDefinition def = new PipelineYaml().parse(YAML, "spread connector test",
                        Map.of("model", golden.dir().toString(), "experts", experts, "name", experts));
                engine.deploy(def);
                Map<String, Double> errors = golden.check(engine.infer(def.name(), inputs),
                        "spread connector on " + experts, keys);
                System.out.printf("golden tiny-noS2 connector spread over sim(0), sim(1) on %-16s max abs error: "
                        + "projected %.2e%n", experts, errors.get("projected"));
                for (DeviceStatus d : engine.devices().status()) {
                    if (d.name().startsWith("sim")) {
                        assertTrue(d.leases().keySet().stream().anyMatch(o -> o.contains("connector-" + experts)
                                && o.endsWith("of MoE layer projector")), d.toString());
                    }
                }
                engine.remove(def.name());
                engine.devices().status().forEach(d -> assertEquals(0, d.leasedBytes(), d.toString()));
            }
        }
    }
}
