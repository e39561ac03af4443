package io.moxie.gateway;

import com.google.protobuf.ByteString;
import io.moxie.gateway.proto.inference.GRPCInferenceServiceGrpc;
import io.moxie.gateway.proto.inference.ModelInferRequest;
import io.moxie.gateway.testing.GatewayFixture;
import io.moxie.gateway.testing.TestPipelines;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.tensor.HostTensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Gateway overhead benchmark (not a test; see docs/PERFORMANCE.md): the same request in process and over loopback
 * gRPC, medians and ratio, then closed-loop throughput at several concurrencies. Run with
 * {@code mvn -o test -pl platform/gateway -Dtest=GatewayBenchmark -Dmoxie.bench=true}.
 */
@EnabledIfSystemProperty(named = "moxie.bench", matches = "true")
class GatewayBenchmark {
    private static final int SAMPLES = 200;

    @Test
    void gatewayOverheadAndThroughput() throws Exception {
        Path home = Files.createTempDirectory("moxie-bench-");
        try (GatewayFixture fx = GatewayFixture.start(home, GatewayFixture.options(),
                Map.of("identity", TestPipelines.identity("identity", "float32", 2, false),
                        "moe", TestPipelines.moe("moe", "first")))) {
            run(fx, "identity", 576, 1024);
            run(fx, "moe", 576, 64);
        }
    }

    private static void run(GatewayFixture fx, String pipeline, int rows, int cols) throws Exception {
        float[] x = new float[rows * cols];
        Random r = new Random(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        HostTensor t = HostTensor.ofFloats(x, rows, cols);
        InferenceRequest local = InferenceRequest.of(Map.of("x", t));
        ModelInferRequest remote = KServeApiTest.raw(pipeline, "x", "FP32", new long[] {rows, cols}, new byte[0])
                .setRawInputContents(0, ByteString.copyFrom(t.data())).build();
        GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub stub = fx.kserve();
        for (int i = 0; i < 50; i++) {
            fx.kernel.engine().infer(pipeline, local);
            stub.modelInfer(remote);
        }
        long[] inProcess = new long[SAMPLES];
        long[] loopback = new long[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
            long t0 = System.nanoTime();
            fx.kernel.engine().infer(pipeline, local);
            inProcess[i] = System.nanoTime() - t0;
            t0 = System.nanoTime();
            stub.modelInfer(remote);
            loopback[i] = System.nanoTime() - t0;
        }
        double a = median(inProcess);
        double b = median(loopback);
        double mb = 4.0 * rows * cols / 1e6;
        System.out.printf("BENCH %s [%d x %d] fp32 (%.2f MB): in-process median %.3f ms, loopback gRPC median %.3f ms,"
                + " ratio %.2f, added %.3f ms; payload through gateway %.2f GB/s (in+out %.2f GB/s)%n",
                pipeline, rows, cols, mb, a, b, b / a, b - a, mb / b, 2 * mb / b);
        for (int c : new int[] {1, 8, 32}) {
            throughput(fx, pipeline, remote, c, mb);
        }
    }

    private static void throughput(GatewayFixture fx, String pipeline, ModelInferRequest remote, int clients, double mb)
            throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        LongAdder done = new LongAdder();
        List<long[]> lat = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        int[] counts = new int[clients];
        for (int c = 0; c < clients; c++) {
            long[] s = new long[200_000];
            lat.add(s);
            int id = c;
            Thread th = new Thread(() -> {
                var stub = fx.kserve();
                while (running.get()) {
                    long t0 = System.nanoTime();
                    stub.modelInfer(remote);
                    if (counts[id] < s.length) {
                        s[counts[id]++] = System.nanoTime() - t0;
                    }
                    done.increment();
                }
            });
            threads.add(th);
            th.start();
        }
        Thread.sleep(1000);
        long start = done.sum();
        long t0 = System.nanoTime();
        Thread.sleep(5000);
        double secs = (System.nanoTime() - t0) / 1e9;
        long n = done.sum() - start;
        running.set(false);
        for (Thread th : threads) {
            th.join();
        }
        long[] all = new long[Arrays.stream(counts).sum()];
        int at = 0;
        for (int c = 0; c < clients; c++) {
            System.arraycopy(lat.get(c), 0, all, at, counts[c]);
            at += counts[c];
        }
        Arrays.sort(all);
        System.out.printf("BENCH %s concurrency %d: %.1f req/s (%.2f GB/s in), p50 %.2f ms, p99 %.2f ms%n", pipeline,
                clients, n / secs, n / secs * mb / 1000, all[all.length / 2] / 1e6, all[(int) (all.length * 0.99)] / 1e6);
    }

    private static double median(long[] v) {
        long[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2] / 1e6;
    }
}
