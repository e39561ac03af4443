package io.moxie.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import io.moxie.gateway.proto.inference.ModelInferRequest;
import io.moxie.gateway.proto.inference.ModelInferResponse;
import io.moxie.gateway.proto.moxie.InferRequest;
import io.moxie.gateway.proto.moxie.InferResponse;
import io.moxie.gateway.proto.moxie.Tensor;
import io.moxie.gateway.testing.GatewayFixture;
import io.moxie.gateway.testing.TestPipelines;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Multi-megabyte tensors (many HTTP/2 DATA frames per message, gathered and parsed in place by the gateway) come
 * back bit-identical, over both APIs and with calls in parallel on one connection.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LargeTensorTest {
    private GatewayFixture fx;

    @BeforeAll
    void start(@TempDir Path home) throws Exception {
        fx = GatewayFixture.start(home, GatewayFixture.options(),
                Map.of("identity", TestPipelines.identity("identity", "float32", 2, false),
                        "moe", TestPipelines.moe("moe", "first")));
    }

    @AfterAll
    void stop() throws Exception {
        fx.close();
    }

    private static byte[] floats(int n, long seed) {
        // finite floats (random bits could be NaN, which is fine for identity but not for comparisons elsewhere)
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(n * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        Random r = new Random(seed);
        for (int i = 0; i < n; i++) {
            b.putFloat((float) r.nextGaussian());
        }
        return b.array();
    }

    private ModelInferResponse kserve(int rows, int cols, byte[] data) {
        return fx.kserve().modelInfer(KServeApiTest.raw("identity", "x", "FP32", new long[] {rows, cols}, data)
                .setId("large").build());
    }

    @Test
    void kserveRoundTripsLargeTensorsBitForBit() {
        // around the gathering threshold, and the benchmark's 576x1024 (2.36 MB)
        for (int[] shape : new int[][] {{8, 1023}, {8, 1024}, {8, 1025}, {576, 1024}, {1000, 1500}}) {
            byte[] data = floats(shape[0] * shape[1], shape[0] * 31L + shape[1]);
            ModelInferResponse r = kserve(shape[0], shape[1], data);
            assertEquals("large", r.getId());
            assertEquals(List.of((long) shape[0], (long) shape[1]), r.getOutputs(0).getShapeList());
            assertArrayEquals(data, r.getRawOutputContents(0).toByteArray(), shape[0] + "x" + shape[1]);
        }
    }

    @Test
    void gzipCompressedLargeRequest() {
        byte[] data = floats(576 * 1024, 5);
        ModelInferResponse r = fx.kserve().withCompression("gzip")
                .modelInfer(KServeApiTest.raw("identity", "x", "FP32", new long[] {576, 1024}, data).build());
        assertArrayEquals(data, r.getRawOutputContents(0).toByteArray());
    }

    @Test
    void nativeApiRoundTripsALargeTensor() {
        byte[] data = floats(576 * 1024, 11);
        InferResponse r = fx.moxie().infer(InferRequest.newBuilder().setPipeline("identity")
                .addInputs(Tensor.newBuilder().setName("x").setDatatype("FP32").addShape(576).addShape(1024)
                        .setData(ByteString.copyFrom(data)))
                .build());
        assertArrayEquals(data, r.getOutputs(0).getData().toByteArray());
    }

    @Test
    void computedOutputsOutliveTheRequestMemory() throws Exception {
        // y = 1.5 x is a new array in each request's memory scope, which closes before the response is written: the
        // response must hold its own copy, intact while other requests reuse the freed memory
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < 18; i++) {
                int seed = 100 + i;
                calls.add(pool.submit(() -> {
                    byte[] data = floats(576 * 1024, seed);
                    java.nio.FloatBuffer x = java.nio.ByteBuffer.wrap(data).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                            .asFloatBuffer();
                    java.nio.ByteBuffer expected = java.nio.ByteBuffer.allocate(data.length)
                            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    while (x.hasRemaining()) {
                        expected.putFloat(x.get() * 1.5f);
                    }
                    ModelInferResponse r = fx.kserve().modelInfer(KServeApiTest.raw("moe", "x", "FP32",
                            new long[] {576, 1024}, data).build());
                    assertArrayEquals(expected.array(), r.getRawOutputContents(0).toByteArray(), "seed " + seed);
                    return null;
                }));
            }
            for (Future<?> c : calls) {
                c.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void parallelLargeCallsOnOneConnection() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> calls = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                int seed = i;
                calls.add(pool.submit(() -> {
                    byte[] data = floats(300 * 1024, seed);
                    assertArrayEquals(data, kserve(300, 1024, data).getRawOutputContents(0).toByteArray());
                    return null;
                }));
            }
            for (Future<?> c : calls) {
                c.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
