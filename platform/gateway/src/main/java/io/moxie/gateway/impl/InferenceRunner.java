package io.moxie.gateway.impl;

import io.moxie.gateway.impl.metrics.GatewayMetrics;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.pipeline.InferenceResult;
import io.moxie.kernel.pipeline.PipelineEngine;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.grpc.common.GrpcLocal;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.StatusException;
import java.time.Duration;
import java.time.Instant;
import java.util.function.BooleanSupplier;

/**
 * Runs forward passes on a worker pool, never on an event loop, and records their telemetry. Call it from the
 * event loop of the request; the returned future completes there.
 *
 * <p>A request whose gRPC deadline passed while it waited for a worker is answered {@code DEADLINE_EXCEEDED}
 * without computing. After {@link #stopAccepting()} new requests get {@code UNAVAILABLE}, and
 * {@link #awaitIdle(Duration)} waits for those in flight (drain on shutdown).
 */
public final class InferenceRunner {
    private final PipelineEngine engine;
    private final WorkerExecutor workers;
    private final GatewayMetrics metrics;
    private volatile boolean accepting = true;

    /**
     * @param workers the worker pool forward passes run on (owned by the caller)
     */
    public InferenceRunner(PipelineEngine engine, WorkerExecutor workers, GatewayMetrics metrics) {
        this.engine = engine;
        this.workers = workers;
        this.metrics = metrics;
    }

    /** Runs one request on a worker; the future fails with a {@link StatusException}. */
    public Future<InferenceResult> infer(String pipeline, InferenceRequest request) {
        return infer(pipeline, request, () -> false);
    }

    /**
     * Runs one request on a worker unless the client has gone away by the time a worker is free.
     *
     * @param gone whether the client cancelled the call or its deadline passed
     */
    public Future<InferenceResult> infer(String pipeline, InferenceRequest request, BooleanSupplier gone) {
        long arrived = System.nanoTime();
        metrics.requestStarted();
        GrpcLocal local = GrpcLocal.current();
        Instant deadline = local == null ? null : local.deadline();
        Future<InferenceResult> result;
        if (!accepting) {
            result = Future.failedFuture(new StatusException(GrpcStatus.UNAVAILABLE, "the server is shutting down"));
        } else {
            // ordered=false: requests run concurrently on the pool instead of one after another per context
            result = workers.executeBlocking(() -> {
                long started = System.nanoTime();
                metrics.queued(pipeline, started - arrived);
                if (gone.getAsBoolean()) {
                    throw new StatusException(GrpcStatus.CANCELLED, "the client went away before a worker was free");
                }
                if (deadline != null && Instant.now().isAfter(deadline)) {
                    throw new StatusException(GrpcStatus.DEADLINE_EXCEEDED, "the deadline passed before a worker was free");
                }
                try {
                    return engine.infer(pipeline, request);
                } finally {
                    metrics.computed(pipeline, System.nanoTime() - started);
                }
            }, false);
        }
        return result.transform(ar -> {
            StatusException failure = ar.failed() ? GrpcErrors.toStatus(ar.cause(), GrpcStatus.INTERNAL) : null;
            metrics.requestEnded(pipeline, failure == null ? "OK" : failure.status().name(),
                    System.nanoTime() - arrived);
            return failure == null ? Future.succeededFuture(ar.result()) : Future.failedFuture(failure);
        });
    }

    /** Answers a request that failed before it could run (bad input, unknown model), counting it like the rest. */
    public <T> Future<T> reject(String pipeline, Throwable failure) {
        StatusException status = GrpcErrors.toStatus(failure, GrpcStatus.INVALID_ARGUMENT);
        metrics.requestStarted();
        metrics.requestEnded(pipeline, status.status().name(), 0);
        return Future.failedFuture(status);
    }

    /** Refuses new requests from now on. */
    public void stopAccepting() {
        accepting = false;
    }

    /**
     * Waits until no request is in flight, or the timeout passes.
     *
     * @return whether the gateway is idle
     */
    public boolean awaitIdle(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (metrics.inFlight() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return metrics.inFlight() == 0;
    }
}
