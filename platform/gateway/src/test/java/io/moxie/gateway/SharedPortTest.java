package io.moxie.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.moxie.gateway.proto.inference.GRPCInferenceServiceGrpc;
import io.moxie.gateway.proto.inference.ModelInferResponse;
import io.moxie.gateway.testing.GatewayFixture;
import io.moxie.gateway.testing.TestPipelines;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway runs one HTTP server per core on one port (port 0 asks Vert.x for one random port all of them share):
 * separate connections, which the kernel may hand to different servers, are each served, at the same time.
 */
class SharedPortTest {
    private static final int CHANNELS = 2;
    private static final int CALLS_PER_CHANNEL = 8;

    @Test
    void separateConnectionsAreServedConcurrentlyOnTheOnePort(@TempDir Path home) throws Exception {
        List<ManagedChannel> channels = new ArrayList<>();
        ExecutorService callers = Executors.newFixedThreadPool(CHANNELS * CALLS_PER_CHANNEL);
        try (GatewayFixture fx = GatewayFixture.start(home, GatewayFixture.options(), TestPipelines.standard())) {
            assertTrue(fx.gateway.port() > 0, "the port actually bound, not the 0 or -1 asked for: " + fx.gateway.port());
            for (int c = 0; c < CHANNELS; c++) {
                channels.add(NettyChannelBuilder.forAddress("127.0.0.1", fx.gateway.port()).usePlaintext().build());
            }
            CountDownLatch together = new CountDownLatch(CHANNELS * CALLS_PER_CHANNEL);
            List<CompletableFuture<Void>> calls = new ArrayList<>();
            for (int c = 0; c < CHANNELS; c++) {
                GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub =
                        GRPCInferenceServiceGrpc.newBlockingStub(channels.get(c));
                for (int i = 0; i < CALLS_PER_CHANNEL; i++) {
                    float value = c * 100 + i;
                    calls.add(CompletableFuture.runAsync(() -> {
                        together.countDown();
                        awaitQuietly(together);
                        ModelInferResponse out = stub.withDeadlineAfter(30, TimeUnit.SECONDS).modelInfer(
                                KServeApiTest.raw("identity-fp32", "x", "FP32", new long[] {1, 2},
                                        KServeApiTest.floats(value, -value)).build());
                        assertArrayEquals(KServeApiTest.floats(value, -value), out.getRawOutputContents(0).toByteArray());
                    }, callers));
                }
            }
            CompletableFuture.allOf(calls.toArray(new CompletableFuture[0])).get(60, TimeUnit.SECONDS);
        } finally {
            callers.shutdownNow();
            for (ManagedChannel ch : channels) {
                ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
