package io.moxie.gateway;

import com.google.protobuf.ByteString;
import io.moxie.gateway.proto.inference.GRPCInferenceServiceGrpc;
import io.moxie.gateway.proto.inference.ModelInferRequest;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.stub.ClientCalls;
import io.moxie.gateway.proto.inference.ModelInferResponse;
import io.moxie.gateway.proto.inference.ServerLiveRequest;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.moxie.gateway.testing.GatewayFixture;
import io.moxie.gateway.testing.TestPipelines;
import io.moxie.kernel.Kernel;
import io.moxie.kernel.KernelOptions;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.pipeline.PipelineStatus;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * Gateway overhead benchmark (not a test; see docs/PERFORMANCE.md): the same request in process and over loopback
 * gRPC, medians and ratio, then closed-loop throughput at several concurrencies, on one connection and spread over
 * {@code -Dmoxie.bench.channels} connections. Run from the repository root with
 * {@code env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE mvn -o test -pl platform/gateway -am -Dtest=GatewayBenchmark
 * -Dmoxie.bench=true -Dsurefire.failIfNoSpecifiedTests=false}; add
 * {@code -Dmoxie.bench.home=<a built distribution, e.g. $PWD/dist/target/moxie>} to measure the demo connector
 * pipeline ({@code conf/pipelines/cumo-connector.yaml} on {@code models/cumo-tiny}, with the distribution's bundles)
 * as well.
 */
@EnabledIfSystemProperty(named = "moxie.bench", matches = "true")
class GatewayBenchmark {
    private static final int SAMPLES = 200;
    private static final int BLOCK = 20;
    // per-call code (HTTP/2 headers, gRPC, protobuf, the service) runs once per call: without a long warm-up the
    // loopback figures measure the JIT (a tiny pipeline showed +6 ms after 50 calls, +1 ms after 3000; a 10 s cap
    // stopped the 2.4 MB identity after about 1400 calls with C2 still compiling, 30 % of the samples)
    private static final int WARM_UP_CALLS = 3000;
    /** At most this long ({@code -Dmoxie.bench.warmup.seconds}) per pipeline, even before {@link #WARM_UP_CALLS}. */
    private static final long WARM_UP_NANOS = TimeUnit.SECONDS.toNanos(Long.getLong("moxie.bench.warmup.seconds", 60));
    /** Connections for the extra throughput rows ({@code -Dmoxie.bench.channels}, default 2; 1 turns them off). */
    private static final int CHANNELS = Integer.getInteger("moxie.bench.channels", 2);

    @Test
    void gatewayOverheadAndThroughput() throws Exception {
        Path home = Files.createTempDirectory("moxie-bench-");
        try (GatewayFixture fx = GatewayFixture.start(home, GatewayFixture.options(),
                Map.of("identity", TestPipelines.identity("identity", "float32", 2, false),
                        "moe", TestPipelines.moe("moe", "first")))) {
            if (selected("identity")) {
                run(fx.kernel, fx.gateway.port(), fx.channel, "identity", "x", 576, 1024);
            }
            if (selected("moe")) {
                run(fx.kernel, fx.gateway.port(), fx.channel, "moe", "x", 576, 64);
            }
        }
        String dist = System.getProperty("moxie.bench.home");
        if (dist != null && selected("cumo-connector")) {
            demoConnector(Path.of(dist));
        }
    }

    /** Whether {@code -Dmoxie.bench.pipelines} (a comma-separated list; all when absent) names the pipeline. */
    private static boolean selected(String pipeline) {
        String only = System.getProperty("moxie.bench.pipelines");
        return only == null || Arrays.asList(only.split(",")).contains(pipeline);
    }

    /** The demo connector pipeline of a built distribution, on a copy of the parts it needs. */
    private static void demoConnector(Path dist) throws Exception {
        Path home = Files.createTempDirectory("moxie-bench-demo-");
        copy(dist.resolve("bundles"), home.resolve("bundles"));
        copy(dist.resolve("conf/model-types"), home.resolve("conf/model-types"));
        copy(dist.resolve("models/cumo-tiny"), home.resolve("models/cumo-tiny"));
        Files.createDirectories(home.resolve("conf/pipelines"));
        Files.createDirectories(home.resolve("plugins"));
        Files.copy(dist.resolve("conf/pipelines/cumo-connector.yaml"), home.resolve("conf/pipelines/cumo-connector.yaml"));
        try (Kernel kernel = Kernel.start(KernelOptions.ofHome(home));
             Gateway gateway = Gateway.start(kernel, GatewayFixture.options()).get(60, TimeUnit.SECONDS)) {
            ManagedChannel channel = channel(gateway.port());
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!kernel.engine().contains("cumo-connector")
                        || kernel.engine().status("cumo-connector").state() != PipelineStatus.State.READY) {
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("cumo-connector not ready");
                    }
                    Thread.sleep(50);
                }
                // the shape of examples/cumo-tiny-features.npz: 2 images, 16 tokens, width 48
                run(kernel, gateway.port(), channel, "cumo-connector", "vision_features", 2, 16, 48);
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    /** A channel like the test fixture's: a 16 MiB flow-control window, so large tensors need no window round trips. */
    private static ManagedChannel channel(int port) {
        return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
                .maxInboundMessageSize(64 << 20).flowControlWindow(16 << 20).build();
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path f : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(f, target);
                }
            }
        }
    }

    private static void run(Kernel kernel, int port, Channel channel, String pipeline, String input, long... shape)
            throws Exception {
        Caller stub = caller(channel);
        int n = Math.toIntExact(Arrays.stream(shape).reduce(1, (p, q) -> p * q));
        float[] x = new float[n];
        Random r = new Random(1);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        HostTensor t = HostTensor.ofFloats(x, shape);
        InferenceRequest local = InferenceRequest.of(Map.of(input, t));
        ModelInferRequest remote = KServeApiTest.raw(pipeline, input, "FP32", shape, new byte[0])
                .setRawInputContents(0, ByteString.copyFrom(t.data())).build();
        long warmUntil = System.nanoTime() + WARM_UP_NANOS;
        for (int i = 0; i < WARM_UP_CALLS && (i < 50 || System.nanoTime() < warmUntil); i++) {
            kernel.engine().infer(pipeline, local);
            stub.modelInfer(remote);
        }
        long[] inProcess = new long[SAMPLES];
        long[] loopback = new long[SAMPLES];
        // interleaved in blocks (against drift in the machine's load), not call by call: right after an in-process
        // call the next one finds the caches full of the other path's data and the engine's threads still spinning
        for (int i = 0; i < SAMPLES; i += BLOCK) {
            for (int j = i; j < i + BLOCK; j++) {
                long t0 = System.nanoTime();
                kernel.engine().infer(pipeline, local);
                inProcess[j] = System.nanoTime() - t0;
            }
            for (int j = i; j < i + BLOCK; j++) {
                long t0 = System.nanoTime();
                stub.modelInfer(remote);
                loopback[j] = System.nanoTime() - t0;
            }
        }
        double a = median(inProcess);
        double b = median(loopback);
        double floor = emptyCallMedian(channel);
        double mb = 4.0 * n / 1e6;
        System.out.printf("BENCH client %s%n", System.getProperty("moxie.bench.client", "standard"));
        System.out.printf("BENCH %s %s fp32 (%.3f MB): in-process median %.3f ms, loopback gRPC median %.3f ms,"
                + " ratio %.2f, added %.3f ms (%.0f %%); payload through gateway %.2f GB/s (in+out %.2f GB/s)%n",
                pipeline, Arrays.toString(shape), mb, a, b, b / a, b - a, 100 * (b - a) / a, mb / b, 2 * mb / b);
        System.out.printf("BENCH %s: an empty call (ServerLive) on the same channel takes %.3f ms, %.0f %% of the"
                + " in-process time%n", pipeline, floor, 100 * floor / a);
        cpuPerCall(stub, pipeline, remote);
        for (int c : new int[] {1, 8, 32}) {
            throughput(List.of(stub), pipeline, remote, c, mb);
        }
        // grpc-java gives each connection one of its event loop threads: spread the clients over CHANNELS connections
        // (the gateway still serves every connection on its one event loop)
        List<ManagedChannel> extra = new ArrayList<>();
        try {
            List<Caller> stubs = new ArrayList<>(List.of(stub));
            for (int i = 1; i < CHANNELS; i++) {
                ManagedChannel c = channel(port);
                extra.add(c);
                Caller s = caller(c);
                for (int w = 0; w < 200; w++) {
                    s.modelInfer(remote); // the new connection's first calls: handshake, HPACK tables
                }
                stubs.add(s);
            }
            if (stubs.size() > 1) {
                for (int c : new int[] {8, 32}) {
                    throughput(stubs, pipeline, remote, c, mb);
                }
            }
        } finally {
            for (ManagedChannel c : extra) {
                c.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * The median of empty unary calls ({@code ServerLive}, no tensor, no kernel): the latency any call adds through
     * the two gRPC stacks and the loopback, whatever its pipeline, a floor under the added latency of the others.
     */
    private static double emptyCallMedian(Channel channel) {
        var stub = GRPCInferenceServiceGrpc.newBlockingStub(channel);
        ServerLiveRequest live = ServerLiveRequest.getDefaultInstance();
        for (int i = 0; i < WARM_UP_CALLS; i++) {
            stub.serverLive(live);
        }
        long[] t = new long[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
            long t0 = System.nanoTime();
            stub.serverLive(live);
            t[i] = System.nanoTime() - t0;
        }
        return median(t);
    }

    /**
     * CPU time and heap allocation per loopback call by thread group (client and server share the JVM): where the
     * time goes. Allocation does not depend on the machine's load, CPU time does (less than latency).
     */
    private static void cpuPerCall(Caller stub, String pipeline, ModelInferRequest remote) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Map<String, long[]> before = byGroup(threads);
        long[] latency = new long[SAMPLES];
        for (int i = 0; i < SAMPLES; i++) {
            long t0 = System.nanoTime();
            stub.modelInfer(remote);
            latency[i] = System.nanoTime() - t0;
        }
        Map<String, long[]> after = byGroup(threads);
        StringBuilder out = new StringBuilder();
        after.forEach((group, v) -> {
            long[] b = before.getOrDefault(group, new long[2]);
            double ms = (v[0] - b[0]) / 1e6 / SAMPLES;
            double mb = (v[1] - b[1]) / 1e6 / SAMPLES;
            if (ms >= 0.01) {
                out.append(String.format(" %s %.2f ms %.2f MB,", group, ms, mb));
            }
        });
        System.out.printf("BENCH %s %d loopback calls in a row: median %.3f ms; CPU and heap allocated per call:%s%n",
                pipeline, SAMPLES, median(latency), out.toString().replaceAll(",$", ""));
    }

    /** CPU nanoseconds and allocated bytes by thread group. */
    private static Map<String, long[]> byGroup(com.sun.management.ThreadMXBean threads) {
        Map<String, long[]> out = new java.util.TreeMap<>();
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            String name = info.getThreadName();
            String group = name.startsWith("vert.x-eventloop") ? "gateway event loop"
                    : name.startsWith("moxie-worker") ? "kernel workers"
                    : name.startsWith("grpc-default-worker") ? "client event loop"
                    : name.equals("main") ? "client caller" : null;
            long nanos = threads.getThreadCpuTime(info.getThreadId());
            long bytes = threads.getThreadAllocatedBytes(info.getThreadId());
            if (group != null && nanos >= 0 && bytes >= 0) {
                long[] sum = out.computeIfAbsent(group, g -> new long[2]);
                sum[0] += nanos;
                sum[1] += bytes;
            }
        }
        return out;
    }

    private static void throughput(List<Caller> channels,
                                   String pipeline, ModelInferRequest remote, int clients, double mb) throws Exception {
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
                // stubs are immutable: clients share them, round robin over the channels
                var stub = channels.get(id % channels.size());
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
        System.out.printf("BENCH %s concurrency %d on %d channel(s): %.1f req/s (%.2f GB/s in), p50 %.2f ms, p99 %.2f ms%n",
                pipeline, clients, channels.size(), n / secs, n / secs * mb / 1000, all[all.length / 2] / 1e6, all[(int) (all.length * 0.99)] / 1e6);
    }

    /** One client's way to call ModelInfer on a channel. */
    @FunctionalInterface
    private interface Caller {
        ModelInferResponse modelInfer(ModelInferRequest request);
    }

    /**
     * The generated blocking stub ({@code -Dmoxie.bench.client=standard}, the default), or the same call with a
     * response parser that copies the message once into an array of its own and parses it with aliasing
     * ({@code aliasing}): grpc-java's default parser copies it into a thread-local array, then every byte field
     * out of that again. What a client can save on its side of the same wire traffic.
     */
    private static Caller caller(Channel channel) {
        if ("aliasing".equals(System.getProperty("moxie.bench.client", "standard"))) {
            return request -> ClientCalls.blockingUnaryCall(channel, ALIASING_INFER, CallOptions.DEFAULT, request);
        }
        return GRPCInferenceServiceGrpc.newBlockingStub(channel)::modelInfer;
    }

    private static final MethodDescriptor<ModelInferRequest, ModelInferResponse> ALIASING_INFER =
            GRPCInferenceServiceGrpc.getModelInferMethod().toBuilder()
                    .setResponseMarshaller(new MethodDescriptor.Marshaller<ModelInferResponse>() {
                        @Override
                        public InputStream stream(ModelInferResponse value) {
                            return value.toByteString().newInput();
                        }

                        @Override
                        public ModelInferResponse parse(InputStream stream) {
                            try {
                                // grpc-java's received-message stream knows its length (KnownLength)
                                byte[] bytes = new byte[stream.available()];
                                if (stream.readNBytes(bytes, 0, bytes.length) != bytes.length || stream.read() != -1) {
                                    throw new IOException("response stream did not report its length");
                                }
                                CodedInputStream in = UnsafeByteOperations.unsafeWrap(bytes).newCodedInput();
                                in.enableAliasing(true);
                                return ModelInferResponse.parseFrom(in);
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                        }
                    }).build();

    private static double median(long[] v) {
        long[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2] / 1e6;
    }
}
