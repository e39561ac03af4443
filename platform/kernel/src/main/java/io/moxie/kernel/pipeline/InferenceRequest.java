package io.moxie.kernel.pipeline;

import io.moxie.kernel.tensor.HostTensor;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * One request to a pipeline.
 *
 * @param inputs the request inputs by name
 * @param parameters free-form parameters passed through to the stages
 * @param traceRouting whether to return which experts each MoE layer chose
 * @param deadlineNanos the {@link System#nanoTime()} after which the request is abandoned, or 0 for none
 * @param cancelled tells whether the caller went away (a cancelled gRPC call); checked between stages
 * @param tokens receives tokens while they are generated (streaming), or null
 */
public record InferenceRequest(Map<String, HostTensor> inputs, Map<String, String> parameters, boolean traceRouting,
                               long deadlineNanos, BooleanSupplier cancelled, TokenListener tokens) {
    private static final BooleanSupplier NEVER = () -> false;

    /** Receives streamed tokens; called on the thread running the request. */
    @FunctionalInterface
    public interface TokenListener {
        void tokens(long[] ids, String text);
    }

    public InferenceRequest {
        inputs = Map.copyOf(inputs);
        parameters = Map.copyOf(parameters);
        cancelled = cancelled == null ? NEVER : cancelled;
    }

    /** A request without deadline. */
    public InferenceRequest(Map<String, HostTensor> inputs, Map<String, String> parameters, boolean traceRouting) {
        this(inputs, parameters, traceRouting, 0, NEVER, null);
    }

    /** A request with a deadline and a cancellation signal, not streamed. */
    public InferenceRequest(Map<String, HostTensor> inputs, Map<String, String> parameters, boolean traceRouting,
                            long deadlineNanos, BooleanSupplier cancelled) {
        this(inputs, parameters, traceRouting, deadlineNanos, cancelled, null);
    }

    /** A request with inputs only. */
    public static InferenceRequest of(Map<String, HostTensor> inputs) {
        return new InferenceRequest(inputs, Map.of(), false);
    }

    /** Returns a copy with a deadline. */
    public InferenceRequest withDeadline(long nanoTime) {
        return new InferenceRequest(inputs, parameters, traceRouting, nanoTime, cancelled, tokens);
    }

    /** Returns a copy that is abandoned when {@code signal} says so. */
    public InferenceRequest withCancellation(BooleanSupplier signal) {
        return new InferenceRequest(inputs, parameters, traceRouting, deadlineNanos, signal, tokens);
    }

    /** Returns a copy whose generated tokens are streamed to {@code listener}. */
    public InferenceRequest withTokenListener(TokenListener listener) {
        return new InferenceRequest(inputs, parameters, traceRouting, deadlineNanos, cancelled, listener);
    }

    /** Returns whether the deadline has passed. */
    public boolean pastDeadline() {
        return deadlineNanos != 0 && System.nanoTime() - deadlineNanos > 0;
    }
}
