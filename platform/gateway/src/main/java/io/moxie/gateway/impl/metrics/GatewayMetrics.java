package io.moxie.gateway.impl.metrics;

import ai.djl.ndarray.NDArray;
import io.moxie.api.Routing;
import io.moxie.kernel.pipeline.EngineListener;
import io.moxie.kernel.pipeline.PipelineEngine;
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
public final class GatewayMetrics implements EngineListener {
    /** Label value for calls naming a pipeline that does not exist (kept out of the label space on purpose). */
    static final String UNKNOWN = "(unknown)";

    private final PipelineEngine engine;
    private final LabeledCounter requests = new LabeledCounter("moxie_requests_total",
            "Inference requests by pipeline and gRPC status.", "pipeline", "status");
    private final LabeledHistogram latency = new LabeledHistogram("moxie_request_duration_seconds",
            "Inference latency in the gateway, arrival to response.", LabeledHistogram.LATENCY_BUCKETS, "pipeline");
    private final LabeledHistogram queue = new LabeledHistogram("moxie_request_queue_seconds",
            "Time an inference request waited for a worker thread.", LabeledHistogram.LATENCY_BUCKETS, "pipeline");
    private final LabeledHistogram compute = new LabeledHistogram("moxie_request_compute_seconds",
            "Time the pipeline engine spent on a request.", LabeledHistogram.LATENCY_BUCKETS, "pipeline");
    private final LabeledCounter routed = new LabeledCounter("moxie_routed_tokens_total",
            "(token, slot) pairs each expert of each MoE layer received.", "pipeline", "layer", "expert");
    private final LabeledCounter swaps = new LabeledCounter("moxie_swaps_total",
            "New pipeline versions published (ok) or refused (failed).", "pipeline", "result");
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean detached;

    public GatewayMetrics(PipelineEngine engine) {
        this.engine = engine;
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

    /** A request waited {@code nanos} for a worker. */
    public void queued(String pipeline, long nanos) {
        queue.observeNanos(nanos, pipelineLabel(pipeline));
    }

    /** The engine computed a request in {@code nanos}. */
    public void computed(String pipeline, long nanos) {
        compute.observeNanos(nanos, pipelineLabel(pipeline));
    }

    // Not EngineListener.requestFinished: the gateway counts by gRPC status, including requests the engine never saw.

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
        writePipelines(out);
        writeMemory(out);
        return out.toString();
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
