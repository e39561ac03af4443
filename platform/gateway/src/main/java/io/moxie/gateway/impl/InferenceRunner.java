package io.moxie.gateway.impl;

import io.moxie.gateway.impl.metrics.GatewayMetrics;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.pipeline.InferenceResult;
import io.moxie.kernel.schedule.Scheduler;
import io.vertx.core.Future;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.grpc.common.GrpcLocal;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.StatusException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.function.BooleanSupplier;

/**
 * Hands requests to the kernel's {@link Scheduler} (bounded queues, priorities, deadlines, dynamic batching), so
 * forward passes never run on an event loop, and records their telemetry. Call it from the event loop of the
 * request; the returned future completes on that context.
 *
 * <p>The call's gRPC deadline and cancellation travel with the request: one that expires or is cancelled while it
 * waits is answered without computing, and one that expires while it runs is abandoned at the next stage boundary,
 * its memory freed. After {@link #stopAccepting()} new requests get {@code UNAVAILABLE}, and
 * {@link #awaitIdle(Duration)} waits for those in flight (drain on shutdown).
 */
public final class InferenceRunner {
    private final Scheduler scheduler;
    private final GatewayMetrics metrics;
    private volatile boolean accepting = true;

    public InferenceRunner(Scheduler scheduler, GatewayMetrics metrics) {
        this.scheduler = scheduler;
        this.metrics = metrics;
    }

    /** Runs one request; the future fails with a {@link StatusException}. */
    public Future<InferenceResult> infer(String pipeline, InferenceRequest request) {
        return infer(pipeline, request, () -> false);
    }

    /**
     * Runs one request unless the client has gone away.
     *
     * @param gone whether the client cancelled the call
     */
    public Future<InferenceResult> infer(String pipeline, InferenceRequest request, BooleanSupplier gone) {
        long arrived = System.nanoTime();
        metrics.requestStarted();
        GrpcLocal local = GrpcLocal.current();
        Instant deadline = local == null ? null : local.deadline();
        Context context = Vertx.currentContext();
        Future<InferenceResult> result;
        if (!accepting) {
            result = Future.failedFuture(new StatusException(GrpcStatus.UNAVAILABLE, "the server is shutting down"));
        } else {
            InferenceRequest r = request.withCancellation(gone);
            if (deadline != null) {
                r = r.withDeadline(arrived + Math.max(0, Duration.between(Instant.now(), deadline).toNanos()));
            }
            CompletableFuture<InferenceResult> queued = scheduler.submit(pipeline, r, priority(request));
            result = context == null ? Future.fromCompletionStage(queued) : Future.fromCompletionStage(queued, context);
        }
        return result.transform(ar -> {
            StatusException failure = ar.failed() ? GrpcErrors.toStatus(ar.cause(), GrpcStatus.INTERNAL) : null;
            long total = System.nanoTime() - arrived;
            metrics.requestEnded(pipeline, failure == null ? "OK" : failure.status().name(), total);
            return failure == null ? Future.succeededFuture(ar.result()) : Future.failedFuture(failure);
        });
    }

    /** The request parameter {@code priority} (an integer, higher first); 0 when absent or not a number. */
    private static int priority(InferenceRequest request) {
        try {
            return Integer.parseInt(request.parameters().getOrDefault("priority", "0").trim());
        } catch (NumberFormatException e) {
            return 0;
        }
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
