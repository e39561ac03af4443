package io.moxie.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moxie.gateway.proto.inference.GRPCInferenceServiceGrpc;
import io.moxie.gateway.proto.inference.ModelInferRequest;
import io.moxie.gateway.proto.inference.ModelInferResponse;
import io.moxie.gateway.proto.moxie.SwapStageRequest;
import io.moxie.gateway.testing.GatewayFixture;
import io.moxie.gateway.testing.TestPipelines;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Swaps the router through the admin API while 8 clients send requests for 10 s: no request fails. */
class SwapUnderLoadTest {

    @Test
    void swapsWhileEightClientsSendRequestsFailNoRequest(@TempDir Path home) throws Exception {
        try (GatewayFixture fx = GatewayFixture.start(home, GatewayFixture.options(),
                Map.of("moe", TestPipelines.moe("moe", "first")))) {
            ModelInferRequest req = KServeApiTest.raw("moe", "x", "FP32", new long[] {2, 2},
                    KServeApiTest.floats(2, 2, 2, 2)).build();
            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong served = new AtomicLong();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<Future<?>> clients = new ArrayList<>();
            for (int c = 0; c < 8; c++) {
                clients.add(pool.submit(() -> {
                    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub = fx.kserve();
                    while (running.get()) {
                        ModelInferResponse r = stub.modelInfer(req);
                        float y = r.getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).getFloat(0);
                        // router first: 1.5 x; router last: 3.5 x; never anything in between
                        assertTrue(y == 3f || y == 7f, "a response from one whole version, got " + y);
                        served.incrementAndGet();
                    }
                    return null;
                }));
            }
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            int swaps = 0;
            while (System.nanoTime() < end) {
                fx.moxie(GatewayFixture.TOKEN).swapStage(SwapStageRequest.newBuilder().setPipeline("moe").setStage("mix")
                        .setRouter(swaps % 2 == 0 ? "last" : "first").build());
                swaps++;
                Thread.sleep(300);
            }
            running.set(false);
            for (Future<?> f : clients) {
                f.get(30, TimeUnit.SECONDS); // rethrows any failed request
            }
            pool.shutdown();
            assertTrue(swaps >= 10, "swapped " + swaps + " times");
            assertTrue(served.get() > 100, "served " + served.get());
            assertEquals(swaps + 1, fx.kernel.engine().status("moe").version().version());
            String metrics = fx.gateway.scrapeMetrics();
            assertTrue(metrics.contains("moxie_swaps_total{pipeline=\"moe\",result=\"ok\"}"), metrics);
            assertEquals(0, metrics.lines().filter(l -> l.startsWith("moxie_requests_total{pipeline=\"moe\"")
                    && !l.contains("status=\"OK\"")).count(), "no request failed");
        }
    }
}
