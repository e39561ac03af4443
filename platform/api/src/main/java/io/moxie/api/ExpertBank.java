package io.moxie.api;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * Executes the experts of one MoE layer for a routing: {@code y[t] = sum_j w[t,j] * expert_{idx[t,j]}(x[t])}.
 *
 * <p>Implementations differ in how they execute (a per-expert loop, a grouped execution sorting tokens by expert,
 * offloaded or quantised experts) and in what an expert is ({@code mlp}, {@code swiglu}, {@code lora}); all of them
 * give the same numbers within float32 round-off. Thread-safe: one bank serves many requests at once.
 */
public interface ExpertBank {

    /**
     * Runs the routed experts.
     *
     * @param x the layer's input, {@code [T, dIn]} float32 (owned by the caller)
     * @param routing the routing of the same {@code T} tokens
     * @param request the request being served; the result must be attached to its manager
     * @return {@code [T, dOut]} float32
     */
    NDArray forward(NDArray x, Routing routing, RequestContext request);

    /** Returns the number of experts {@code E}. */
    int numExperts();

    /**
     * Returns the bank's telemetry counters (monotonic, e.g. {@code offload_hits}, {@code offload_misses}), which
     * the kernel publishes per pipeline and layer. Default: none.
     */
    default Map<String, Long> counters() {
        return Map.of();
    }
}
