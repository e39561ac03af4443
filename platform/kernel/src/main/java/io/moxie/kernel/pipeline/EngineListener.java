package io.moxie.kernel.pipeline;

import io.moxie.api.Routing;

/**
 * Observes the engine for telemetry. Called synchronously on request and swap threads: implementations must be
 * fast and thread-safe, and must not keep the routing arrays (they belong to the request).
 */
public interface EngineListener {

    /** A request finished; {@code status} is {@code OK} or the error class' simple name. */
    default void requestFinished(String pipeline, String status, long nanos) {
    }

    /** A batch of {@code size} requests ran as one pass. */
    default void batchRan(String pipeline, int size) {
    }

    /** A MoE layer routed tokens for a request of {@code pipeline}. */
    default void routed(String pipeline, String layer, Routing routing) {
    }

    /** A new version was published; {@code previous} is null for the first one. */
    default void swapped(String pipeline, VersionInfo previous, VersionInfo current) {
    }

    /** Building a new version failed; the old one, if any, keeps serving. */
    default void swapFailed(String pipeline, String reason) {
    }
}
