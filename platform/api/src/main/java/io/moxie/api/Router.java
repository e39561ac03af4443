package io.moxie.api;

import ai.djl.ndarray.NDArray;

/**
 * Decides which experts each token of a MoE layer goes to.
 *
 * <p>Implementations: {@code topk} (CuMo, Mixtral: float32 softmax over a linear gate, top-k, renormalise),
 * {@code instance} (Octavius: one decision per request from the instruction), and whatever plugins add. A router
 * is built once per compiled pipeline version and then called concurrently by many requests, so it must be
 * thread-safe and keep per-request state only in the {@link RequestContext}.
 */
public interface Router {

    /**
     * Routes {@code T} tokens.
     *
     * @param hidden the layer's input, {@code [T, d]} float32 (owned by the caller)
     * @param request the request being served; the returned arrays must be attached to its manager
     * @return the routing, {@code indices [T, k]} int64 and {@code weights [T, k]} float32
     */
    Routing route(NDArray hidden, RequestContext request);

    /** Returns the number of experts {@code E}. */
    int numExperts();

    /** Returns the number of experts chosen per token {@code k}. */
    int topK();
}
