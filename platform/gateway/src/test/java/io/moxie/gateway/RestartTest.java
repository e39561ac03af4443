package io.moxie.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moxie.gateway.proto.moxie.ApplyPipelineRequest;
import io.moxie.gateway.proto.moxie.DescribePipelineRequest;
import io.moxie.gateway.testing.GatewayFixture;
import io.moxie.gateway.testing.TestPipelines;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A pipeline applied through the API is still served after the server restarts on the same home. */
class RestartTest {

    @Test
    void appliedPipelineSurvivesARestart(@TempDir Path home) throws Exception {
        String yaml = TestPipelines.moe("kept", "last");
        try (GatewayFixture fx = GatewayFixture.start(home, GatewayFixture.options(), Map.of())) {
            fx.moxie(GatewayFixture.TOKEN).applyPipeline(ApplyPipelineRequest.newBuilder().setYaml(yaml).build());
        }
        try (GatewayFixture fx = GatewayFixture.start(home, GatewayFixture.options(), Map.of())) {
            fx.awaitReady("kept");
            assertTrue(fx.moxie().describePipeline(DescribePipelineRequest.newBuilder().setName("kept").build()).getPersisted());
            var r = fx.kserve().modelInfer(KServeApiTest.raw("kept", "x", "FP32", new long[] {1, 1},
                    KServeApiTest.floats(2)).build());
            assertArrayEquals(KServeApiTest.floats(7), r.getRawOutputContents(0).toByteArray());
        }
    }
}
