package io.moxie.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moxie.gateway.testing.GatewayFixture;
import io.moxie.gateway.testing.TestPipelines;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prometheus metrics over HTTP on the second port. */
class MetricsTest {

    @Test
    void metricsPortServesRequestsLatencyRoutingAndSwaps(@TempDir Path home) throws Exception {
        try (GatewayFixture fx = GatewayFixture.start(home, GatewayFixture.options(), Map.of("moe", TestPipelines.moe("moe", "first")))) {
            fx.kserve().modelInfer(KServeApiTest.raw("moe", "x", "FP32", new long[] {3, 1}, KServeApiTest.floats(1, 2, 3)).build());
            try {
                fx.kserve().modelInfer(KServeApiTest.raw("moe", "x", "FP32", new long[] {3}, KServeApiTest.floats(1, 2, 3)).build());
            } catch (io.grpc.StatusRuntimeException expected) {
                // counted as INVALID_ARGUMENT
            }
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + fx.gateway.metricsPort() + "/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode());
            assertTrue(r.headers().firstValue("content-type").orElse("").startsWith("text/plain"));
            String text = r.body();
            for (String expected : new String[] {
                "moxie_requests_total{pipeline=\"moe\",status=\"OK\"} 1",
                "moxie_requests_total{pipeline=\"moe\",status=\"INVALID_ARGUMENT\"} 1",
                "moxie_request_duration_seconds_count{pipeline=\"moe\"} 2",
                "moxie_request_compute_seconds_count{pipeline=\"moe\"} 2",
                "moxie_request_queue_seconds_bucket{pipeline=\"moe\",le=\"+Inf\"} 2",
                "moxie_requests_in_flight 0",
                "moxie_routed_tokens_total{pipeline=\"moe\",layer=\"layer0\",expert=\"0\"} 3",
                "moxie_routed_tokens_total{pipeline=\"moe\",layer=\"layer0\",expert=\"1\"} 3",
                "moxie_pipeline_version{pipeline=\"moe\"} 1",
                "moxie_pipeline_ready{pipeline=\"moe\"} 1",
                "# TYPE moxie_device_memory_bytes gauge"}) {
                assertTrue(text.contains(expected), expected + " in\n" + text);
            }
            HttpResponse<String> missing = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + fx.gateway.metricsPort() + "/other")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(404, missing.statusCode());
        }
    }
}
