package io.moxie.api;

import ai.djl.ndarray.NDArray;

/**
 * One Mixture-of-Experts layer: a {@link Router} and an {@link ExpertBank}, wired by the kernel from the pipeline
 * definition. Stages (vision towers, connectors, decoders) call a {@code MoeLayer} and never name a concrete router
 * or expert class; that is what lets an operator swap either at runtime. Obtain one from
 * {@link ComponentContext#moeLayer(MoeSpec)}. Thread-safe.
 */
public interface MoeLayer {

    /** Returns the layer's name, as used in routing traces and metrics (e.g. {@code layer3}, {@code projector}). */
    String name();

    /**
     * Routes and runs the experts for {@code T} tokens, recording the routing in the request's telemetry.
     *
     * @param x {@code [T, dIn]} float32
     * @param request the request being served
     * @return the output {@code [T, dOut]} and the routing, both attached to the request's manager
     */
    MoeOutput forward(NDArray x, RequestContext request);

    /** Returns the router of this layer. */
    Router router();

    /** Returns the expert bank of this layer. */
    ExpertBank experts();
}
