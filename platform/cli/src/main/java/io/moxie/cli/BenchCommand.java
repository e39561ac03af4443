package io.moxie.cli;

import ai.djl.ndarray.types.DataType;
import io.grpc.StatusRuntimeException;
import io.moxie.gateway.client.V2Tensors;
import io.moxie.gateway.proto.inference.ModelInferRequest;
import io.moxie.gateway.proto.inference.ModelMetadataRequest;
import io.moxie.gateway.proto.inference.ModelMetadataResponse;
import io.moxie.kernel.tensor.HostTensor;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code moxie bench}: a closed-loop load generator over the Open Inference Protocol. N clients each send the same
 * request back to back for the duration; a progress line updates every second, then the report gives throughput,
 * payload rate, latency percentiles and errors by gRPC status.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Load a server with N concurrent clients and report throughput, latency percentiles and errors.")
final class BenchCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    RemoteOptions remote;

    @Option(names = "--pipeline", required = true, paramLabel = "NAME", description = "The pipeline (model) to load.")
    String pipeline;

    @Option(names = "--concurrency", defaultValue = "1", paramLabel = "N", description = "Concurrent clients (default: 1).")
    int concurrency;

    @Option(names = "--connections", defaultValue = "1", paramLabel = "N",
            description = "Connections the clients are spread over, round robin (default: 1; at most --concurrency). One HTTP/2 connection is "
                    + "read and written by one thread at each end: with large tensors more connections can carry more.")
    int connections;

    @Option(names = "--duration", defaultValue = "30s", converter = Durations.class, paramLabel = "DURATION",
            description = "How long to send requests (default: 30s).")
    Duration duration;

    @Option(names = "--warmup", defaultValue = "10", paramLabel = "N", description = "Untimed requests first (default: 10).")
    int warmup;

    @Option(names = "--input", paramLabel = "NAME=FILE",
            description = "Request inputs as for 'moxie infer'; default: zeros shaped from the model metadata, variable dimensions 1.")
    List<String> inputs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (concurrency < 1) {
            throw new ExitCodes.UsageException("--concurrency must be at least 1");
        }
        if (duration.isZero() || duration.isNegative()) {
            throw new ExitCodes.UsageException("--duration must be positive");
        }
        if (connections < 1) {
            throw new ExitCodes.UsageException("--connections must be at least 1");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<Remote> servers = new ArrayList<>();
        try {
            for (int i = 0; i < Math.min(connections, concurrency); i++) {
                servers.add(remote.connect());
            }
            Remote server = servers.get(0);
            Map<String, HostTensor> tensors = inputs.isEmpty() ? zerosFromMetadata(server) : InputFiles.read(inputs);
            ModelInferRequest request = V2Tensors.request(pipeline, tensors, false);
            long payload = request.getRawInputContentsList().stream().mapToLong(b -> b.size()).sum();
            // every connection at least once, so that none is opened inside the timed window
            for (int i = 0; i < Math.max(warmup, servers.size()); i++) {
                Remote s = servers.get(i % servers.size());
                s.call(() -> s.kserve().modelInfer(request));
            }
            Run run = new Run(servers, request, concurrency);
            long start = System.nanoTime();
            long end = start + duration.toNanos();
            run.start(end);
            while (System.nanoTime() < end) {
                Thread.sleep(Math.min(1000, Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()))));
                double s = (System.nanoTime() - start) / 1e9;
                err.printf("\r%5.1f s  %8d requests  %8.1f req/s  %6d errors", s, run.ok.sum(), run.ok.sum() / s, run.errors());
                err.flush();
            }
            run.join();
            err.println();
            report(out, run, (System.nanoTime() - start) / 1e9, payload, servers.size());
            return run.errors() == 0 ? ExitCodes.OK : ExitCodes.FAILURE;
        } finally {
            servers.forEach(Remote::close);
        }
    }

    private Map<String, HostTensor> zerosFromMetadata(Remote server) {
        ModelMetadataResponse m = server.call(() -> server.kserve().modelMetadata(
                ModelMetadataRequest.newBuilder().setName(pipeline).build()));
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (ModelMetadataResponse.TensorMetadata t : m.getInputsList()) {
            DataType type = io.moxie.gateway.impl.TensorTypes.fromWire(t.getDatatype());
            if (type == null) {
                throw new ExitCodes.UsageException("input '" + t.getName() + "' is " + t.getDatatype()
                        + ": give it with --input NAME=FILE");
            }
            long[] shape = t.getShapeList().stream().mapToLong(d -> d < 0 ? 1 : d).toArray();
            long n = Arrays.stream(shape).reduce(1, Math::multiplyExact);
            out.put(t.getName(), new HostTensor(type, shape, ByteBuffer.allocate(Math.toIntExact(n * type.getNumOfBytes()))));
        }
        return out;
    }

    private void report(PrintWriter out, Run run, double seconds, long payload, int connectionCount) {
        long[] lat = run.latencies();
        Arrays.sort(lat);
        long ok = lat.length;
        out.printf("pipeline %s, concurrency %d on %d connection%s, %.1f s%n", pipeline, concurrency, connectionCount,
                connectionCount == 1 ? "" : "s", seconds);
        out.printf("requests   %d ok, %d errors%n", ok, run.errors());
        out.printf("throughput %.1f req/s, %.1f MB/s of input tensors%n", ok / seconds, ok * payload / seconds / 1e6);
        if (ok > 0) {
            out.printf("latency    p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms%n", pct(lat, 0.50), pct(lat, 0.90),
                    pct(lat, 0.99), lat[lat.length - 1] / 1e6);
        }
        new TreeMap<>(run.errorsByStatus).forEach((status, n) -> out.printf("errors     %s: %d%n", status, n.sum()));
        if (run.lastError.get() != null) {
            out.println("last error " + run.lastError.get());
        }
        out.flush();
    }

    private static double pct(long[] sorted, double p) {
        int i = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }

    /** The clients of one run: each a thread calling over one of the connections, client {@code c} on {@code c mod n}. */
    private static final class Run {
        final List<Remote> servers;
        final ModelInferRequest request;
        final List<Thread> threads = new ArrayList<>();
        final List<long[]> samples = new ArrayList<>();
        final int[] counts;
        final LongAdder ok = new LongAdder();
        final Map<String, LongAdder> errorsByStatus = new ConcurrentHashMap<>();
        final AtomicReference<String> lastError = new AtomicReference<>();
        final AtomicLong errorCount = new AtomicLong();

        Run(List<Remote> servers, ModelInferRequest request, int clients) {
            this.servers = servers;
            this.request = request;
            this.counts = new int[clients];
            for (int i = 0; i < clients; i++) {
                samples.add(new long[1 << 16]);
            }
        }

        void start(long endNanos) {
            for (int c = 0; c < counts.length; c++) {
                int client = c;
                Thread t = new Thread(() -> loop(client, endNanos), "moxie-bench-" + c);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
        }

        private void loop(int client, long endNanos) {
            Remote server = servers.get(client % servers.size());
            while (System.nanoTime() < endNanos) {
                long t0 = System.nanoTime();
                try {
                    server.kserve().modelInfer(request); // a stub per call: each call gets the whole --timeout
                    long dt = System.nanoTime() - t0;
                    long[] s = samples.get(client);
                    if (counts[client] == s.length) {
                        s = Arrays.copyOf(s, s.length * 2);
                        samples.set(client, s);
                    }
                    s[counts[client]++] = dt;
                    ok.increment();
                } catch (StatusRuntimeException e) {
                    errorsByStatus.computeIfAbsent(e.getStatus().getCode().name(), k -> new LongAdder()).increment();
                    errorCount.incrementAndGet();
                    lastError.set(e.getStatus().getCode() + ": " + e.getStatus().getDescription());
                }
            }
        }

        long errors() {
            return errorCount.get();
        }

        void join() throws InterruptedException {
            for (Thread t : threads) {
                t.join();
            }
        }

        long[] latencies() {
            int total = Arrays.stream(counts).sum();
            long[] all = new long[total];
            int at = 0;
            for (int c = 0; c < counts.length; c++) {
                System.arraycopy(samples.get(c), 0, all, at, counts[c]);
                at += counts[c];
            }
            return all;
        }
    }
}
