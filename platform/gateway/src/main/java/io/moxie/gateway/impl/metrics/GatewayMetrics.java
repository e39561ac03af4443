package io.moxie.gateway.impl.metrics;

import ai.djl.ndarray.NDArray;
import io.moxie.api.Routing;
import io.moxie.kernel.pipeline.EngineListener;
import io.moxie.kernel.device.DeviceStatus;
import io.moxie.kernel.pipeline.PipelineEngine;
import io.moxie.kernel.schedule.Scheduler;
import io.moxie.kernel.schedule.SchedulerListener;
import io.moxie.kernel.pipeline.PipelineStatus;
import io.moxie.kernel.pipeline.VersionInfo;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The gateway's telemetry, exposed in the Prometheus text format: requests by pipeline and gRPC status, latency
 * (total, queue and compute), requests in flight, per pipeline/layer/expert routing counts, swaps, the serving
 * version of each pipeline, and the memory the engine's tensors hold.
 *
 * <p>Registered as an {@link EngineListener}; {@link #detach()} turns it into a no-op when the gateway closes
 * (the engine has no way to remove a listener). Thread-safe and lock-free on the request path.
 */
public final class GatewayMetrics implements EngineListener, SchedulerListener {
    /** Label value for calls naming a pipeline that does not exist (kept out of the label space on purpose). */
    static final String UNKNOWN = "(unknown)";

    private final PipelineEngine engine;
    private final LabeledCounter requests = new LabeledCounter("moxie_requests_total",
            "Inference requests by pipeline and gRPC status.", "pipeline", "status");
    private final LabeledHistogram latency = new LabeledHistogram("moxie_request_duration_seconds",
            "Inference latency in the gateway, arrival to response.", LabeledHistogram.LATENCY_BUCKETS, "pipeline");
    private final LabeledHistogram queue = new LabeledHistogram("moxie_request_queue_seconds",
            "Time an inference request waited in the scheduler's queue.", LabeledHistogram.LATENCY_BUCKETS, "pipeline");
    private final LabeledHistogram compute = new LabeledHistogram("moxie_request_compute_seconds",
            "Time the pipeline engine spent on a request.", LabeledHistogram.LATENCY_BUCKETS, "pipeline");
    private final LabeledCounter routed = new LabeledCounter("moxie_routed_tokens_total",
            "(token, slot) pairs each expert of each MoE layer received.", "pipeline", "layer", "expert");
    private final LabeledCounter swaps = new LabeledCounter("moxie_swaps_total",
            "New pipeline versions published (ok) or refused (failed).", "pipeline", "result");
    private final LabeledHistogram batches = new LabeledHistogram("moxie_batch_size",
            "Requests run together in one dynamic batch.", new double[] {1, 2, 4, 8, 16, 32, 64}, "pipeline");
    private final LabeledCounter rejected = new LabeledCounter("moxie_queue_rejected_total",
            "Requests refused at once because their pipeline's queue was full.", "pipeline");
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean detached;

    private final Scheduler scheduler;

    public GatewayMetrics(PipelineEngine engine, Scheduler scheduler) {
        this.engine = engine;
        this.scheduler = scheduler;
    }

    /** Stops recording engine events (the gateway closed; the engine lives on). */
    public void detach() {
        detached = true;
    }

    /** Returns the label for a pipeline name given by a client. */
    public String pipelineLabel(String pipeline) {
        return pipeline != null && engine.contains(pipeline) ? pipeline : UNKNOWN;
    }

    /** A request entered the gateway. */
    public void requestStarted() {
        inFlight.incrementAndGet();
    }

    @Override
    public void dequeued(String pipeline, long nanos) {
        if (!detached) {
            queue.observeNanos(nanos, pipelineLabel(pipeline));
        }
    }

    @Override
    public void rejected(String pipeline) {
        if (!detached) {
            rejected.inc(pipelineLabel(pipeline));
        }
    }

    @Override
    public void batchRan(String pipeline, int size) {
        if (!detached) {
            batches.observe(size, pipelineLabel(pipeline));
        }
    }

    /** The engine computed a request (alone or in a batch) in {@code nanos}. */
    @Override
    public void requestFinished(String pipeline, String status, long nanos) {
        if (!detached) {
            compute.observeNanos(nanos, pipelineLabel(pipeline));
        }
    }

    // Requests are counted here, by gRPC status, not in requestFinished: that includes requests the engine never saw.

    /** A request left the gateway with a gRPC status name ({@code OK}, {@code INVALID_ARGUMENT}, ...). */
    public void requestEnded(String pipeline, String status, long nanos) {
        inFlight.decrementAndGet();
        String label = pipelineLabel(pipeline);
        requests.inc(label, status);
        latency.observeNanos(nanos, label);
    }

    /** Returns the number of requests in the gateway now. */
    public int inFlight() {
        return inFlight.get();
    }

    /** Returns how many requests of a pipeline ended with a status. */
    public long requests(String pipeline, String status) {
        return requests.get(pipeline, status);
    }

    /** Returns how many (token, slot) pairs an expert received. */
    public long routed(String pipeline, String layer, int expert) {
        return routed.get(pipeline, layer, Integer.toString(expert));
    }

    @Override
    public void routed(String pipeline, String layer, Routing routing) {
        if (detached) {
            return;
        }
        long[] load = routing.expertLoad();
        for (int e = 0; e < load.length; e++) {
            if (load[e] > 0) {
                routed.add(load[e], pipeline, layer, Integer.toString(e));
            }
        }
    }

    @Override
    public void swapped(String pipeline, VersionInfo previous, VersionInfo current) {
        if (!detached) {
            swaps.inc(pipeline, "ok");
        }
    }

    @Override
    public void swapFailed(String pipeline, String reason) {
        if (!detached) {
            swaps.inc(pipeline, "failed");
        }
    }

    /** Renders every metric in the Prometheus text format. */
    public String scrape() {
        PrometheusText out = new PrometheusText();
        requests.writeTo(out);
        latency.writeTo(out);
        queue.writeTo(out);
        compute.writeTo(out);
        out.header("moxie_requests_in_flight", "Inference requests in the gateway now.", "gauge");
        out.sample("moxie_requests_in_flight", List.of(), List.of(), inFlight.get());
        routed.writeTo(out);
        swaps.writeTo(out);
        batches.writeTo(out);
        rejected.writeTo(out);
        writeQueues(out);
        writePipelines(out);
        writeLayers(out);
        writeMemory(out);
        writeLeases(out);
        return out.toString();
    }

    private void writeQueues(PrometheusText out) {
        out.header("moxie_queue_depth", "Requests waiting in each pipeline's queue.", "gauge");
        scheduler.queueDepths().forEach((p, n) -> out.sample("moxie_queue_depth", List.of("pipeline"), List.of(p), n));
    }

    // Expert banks' own counters (offload hits, misses, evictions, resident bytes) and the imbalance of each layer's
    // expert load (max / mean over experts, from the routing counters): 1 is perfectly balanced.
    private void writeLayers(PrometheusText out) {
        out.header("moxie_expert_bank_counter", "Counters an expert bank reports, by pipeline, layer and name.", "gauge");
        for (PipelineStatus s : engine.list()) {
            engine.layerCounters(s.name()).forEach((layer, counters) -> counters.forEach((name, value) ->
                    out.sample("moxie_expert_bank_counter", List.of("pipeline", "layer", "counter"),
                            List.of(s.name(), layer, name), value)));
        }
        out.header("moxie_expert_load_imbalance", "Max over mean of the tokens each expert of a layer received.", "gauge");
        routed.groups(2).forEach((pipelineAndLayer, loads) -> {
            double max = loads.stream().mapToDouble(Double::doubleValue).max().orElse(0);
            double mean = loads.stream().mapToDouble(Double::doubleValue).average().orElse(0);
            out.sample("moxie_expert_load_imbalance", List.of("pipeline", "layer"), pipelineAndLayer,
                    mean == 0 ? 0 : max / mean);
        });
    }

    private void writeLeases(PrometheusText out) {
        // each family's samples together: the text format does not allow families to interleave
        List<DeviceStatus> devices = engine.devices().status();
        out.header("moxie_device_leased_bytes", "Bytes of weights leased on each device.", "gauge");
        for (DeviceStatus d : devices) {
            out.sample("moxie_device_leased_bytes", List.of("device"), List.of(d.name()), d.leasedBytes());
        }
        out.header("moxie_device_capacity_bytes", "Bytes that may be leased on each device.", "gauge");
        for (DeviceStatus d : devices) {
            out.sample("moxie_device_capacity_bytes", List.of("device"), List.of(d.name()), d.capacityBytes());
        }
        // one series per lease: a stage's weights, or one device's share of a layer's experts spread over devices
        out.header("moxie_device_lease_bytes", "Bytes leased on each device by each owner.", "gauge");
        for (DeviceStatus d : devices) {
            d.leases().forEach((owner, bytes) -> out.sample("moxie_device_lease_bytes", List.of("device", "owner"),
                    List.of(d.name(), owner), bytes));
        }
    }

    private void writePipelines(PrometheusText out) {
        List<PipelineStatus> all = engine.list();
        out.header("moxie_pipeline_version", "The compiled version each pipeline serves (0: none).", "gauge");
        for (PipelineStatus s : all) {
            out.sample("moxie_pipeline_version", List.of("pipeline"), List.of(s.name()),
                    s.version() == null ? 0 : s.version().version());
        }
        out.header("moxie_pipeline_ready", "1 when the pipeline can serve requests.", "gauge");
        for (PipelineStatus s : all) {
            out.sample("moxie_pipeline_ready", List.of("pipeline"), List.of(s.name()),
                    s.state() == PipelineStatus.State.READY ? 1 : 0);
        }
    }

    // Walks the engine's memory tree at scrape time only: cheap next to a forward pass, and exact.
    private void writeMemory(PrometheusText out) {
        long bytes = 0;
        long arrays = 0;
        String device = engine.rootManager().getDevice().toString();
        for (NDArray a : engine.rootManager().getManagedArrays()) {
            try {
                if (!a.isReleased()) {
                    bytes += a.size() * a.getDataType().getNumOfBytes();
                    arrays++;
                }
            } catch (RuntimeException released) {
                // closed by its request between listing and reading: not in use any more
            }
        }
        out.header("moxie_device_memory_bytes", "Bytes held by the engine's tensors (weights and requests).", "gauge");
        out.sample("moxie_device_memory_bytes", List.of("device"), List.of(device), bytes);
        out.header("moxie_device_arrays", "Tensors the engine holds.", "gauge");
        out.sample("moxie_device_arrays", List.of("device"), List.of(device), arrays);
    }
}
