package io.moxie.api;

import ai.djl.ndarray.NDManager;
import java.util.Map;
import java.util.function.Function;

/**
 * What a component sees of one request while it runs: the request's memory scope, its parameters, and a place
 * for request-scoped state (an instance router's once-per-request decision, a decoder's KV cache).
 *
 * <p>Every array a component creates for a request must be attached to {@link #manager()}; the kernel closes that
 * manager when the request ends, successfully or not. A context is used by one request at a time; components
 * must not keep it after their call returns.
 */
public interface RequestContext {

    /** Returns the request's id, unique in this process. */
    String id();

    /** Returns the request's memory scope, closed by the kernel after the request. */
    NDManager manager();

    /** Returns the request's parameters (free-form strings passed through from the caller). */
    Map<String, String> parameters();

    /** Returns whether the caller asked for per-layer routing traces. */
    boolean traceRouting();

    /**
     * Records the routing of one MoE layer for this request (telemetry always; a trace when asked for). Called by
     * the kernel's {@link MoeLayer}; components rarely call it themselves.
     */
    void recordRouting(String layer, Routing routing);

    /**
     * Returns the request-scoped value stored under {@code key}, computing it once with {@code init} when absent.
     * Values that are {@link AutoCloseable} are closed when the request ends.
     */
    <T> T computeIfAbsent(String key, Function<String, T> init);

    /**
     * Returns whether the request was cancelled or its deadline passed; long-running stages should check it and
     * throw {@link RequestCancelledException}.
     */
    boolean isCancelled();

    /**
     * Returns whether this is the warm-up pass the kernel runs before publishing a new pipeline version (inputs are
     * placeholders; stages may take a short path, but must load every class their real path uses).
     */
    default boolean isWarmUp() {
        return false;
    }

    /**
     * Streams part of the answer to the caller while the request runs: tokens as a decoder generates them. A no-op
     * unless the caller asked for streaming; the complete outputs are returned at the end either way.
     *
     * @param tokenIds the token ids generated since the last call
     * @param text their text, when the stage has a tokenizer (may be empty while a character is incomplete)
     */
    default void emitTokens(long[] tokenIds, String text) {
    }
}
