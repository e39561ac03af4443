package io.moxie.encoders;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.moxie.kernel.tensor.HostTensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The shipped {@code cumo-vision} pipeline (s2-split, clip-moe, s2-merge, mlp-moe-connector) on every golden case
 * with a {@code pixel_values} input, through a real engine, with every expert bank and across runtime swaps.
 */
class CumoVisionGoldenTest {
    private static final String[] MOE_STAGES = {"tower", "connector"};

    @TempDir
    static Path scratch;
    private static TestEngine engine;

    @BeforeAll
    static void start() {
        engine = new TestEngine(scratch);
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-noS2", "tiny-S2", "tiny-S2x3-top1-e3", "gelu-e8-k3-f16", "s2x123-bf16", "image-png",
        "upcycled-cls-last"})
    void everyBankMatchesTheGoldenCaseBeforeAndAfterASwapToTheOther(String name) {
        GoldenCase golden = GoldenCase.load(name);
        Map<String, HostTensor> inputs = golden.inputs();
        for (String[] banks : new String[][] {{"grouped-mlp", "mlp"}, {"mlp", "grouped-mlp-blas"},
            {"grouped-mlp-blas", "grouped-mlp"}}) {
            String pipeline = name + "-" + banks[0];
            engine.deploy(CumoVisionPipeline.forModel(pipeline, golden.dir(), banks[0]));
            report(name, banks[0], golden.check(engine.infer(pipeline, inputs), name + " on " + banks[0]));
            engine.swapExperts(pipeline, banks[1], MOE_STAGES);
            report(name, banks[1] + " (swapped in)",
                    golden.check(engine.infer(pipeline, inputs), name + " after swapping to " + banks[1]));
        }
    }

    @Test
    void concurrentRequestsRunAsOneBatchAndEachMatchesTheGoldenCase() {
        GoldenCase golden = GoldenCase.load("tiny-S2");
        String pipeline = "tiny-S2-batched";
        engine.deploy(CumoVisionPipeline.forModel(pipeline, golden.dir(), "grouped-mlp"));
        List<Integer> batchSizes = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<Map<String, HostTensor>> answers = engine.inferConcurrently(pipeline, golden.inputs(), 6, batchSizes);
        for (int i = 0; i < answers.size(); i++) {
            golden.check(answers.get(i), "batched request " + i);
        }
        assertTrue(batchSizes.stream().anyMatch(n -> n > 1), "requests were batched: " + batchSizes);
    }

    @Test
    void swappingTheTowerToTheHashRouterChangesItsRoutingObservably() {
        GoldenCase golden = GoldenCase.load("tiny-S2");
        String pipeline = "tiny-S2-hash";
        engine.deploy(CumoVisionPipeline.forModel(pipeline, golden.dir(), "grouped-mlp"));
        engine.swapRouter(pipeline, "tower", "hash");
        Map<String, HostTensor> out = engine.infer(pipeline, golden.inputs());

        long[] indices = out.get("router_indices_layer0").toLongArray();
        long[] expected = new long[indices.length];
        int k = 2;
        for (int p = 0; p < expected.length; p++) {
            expected[p] = p % 4; // token t of the [N·T, d] batch gets experts (t·k + j) mod E, E = 4
        }
        assertArrayEquals(expected, indices);
        for (float w : out.get("router_weights_layer1").toFloatArray()) {
            assertEquals(1f / k, w);
        }
        assertFalse(java.util.Arrays.equals(golden.expected().get("projected").toFloatArray(),
                out.get("projected").toFloatArray()), "other experts, other features");
        assertArrayEquals(golden.expected().get("projector_router_indices").shape(),
                out.get("projector_router_indices").shape());
    }

    private static void report(String name, String bank, Map<String, Double> errors) {
        double features = errors.get("vision_features");
        double projected = errors.get("projected");
        double routing = errors.entrySet().stream().filter(e -> e.getKey().contains("router_weights"))
                .mapToDouble(Map.Entry::getValue).max().orElse(0);
        System.out.printf("golden %-20s %-26s max abs error: vision_features %.2e, projected %.2e, router weights %.2e%n",
                name, bank, features, projected, routing);
    }
}
