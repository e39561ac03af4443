package io.moxie.gateway.impl;

import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.grpc.common.GrpcStatus;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

/** Runs a service method's body and turns its failure into the gRPC status the client sees. */
public final class Calls {
    private Calls() {
    }

    /** Runs quick, non-blocking work on the calling event loop. */
    public static <T> Future<T> now(Supplier<T> work, GrpcStatus fallback) {
        try {
            return Future.succeededFuture(work.get());
        } catch (RuntimeException e) {
            return Future.failedFuture(GrpcErrors.toStatus(e, fallback));
        }
    }

    /** Runs blocking work (an admin change, a bundle install) on a worker pool. */
    public static <T> Future<T> blocking(WorkerExecutor workers, Callable<T> work, GrpcStatus fallback) {
        return workers.<T>executeBlocking(work, false)
                .recover(e -> Future.failedFuture(GrpcErrors.toStatus(e, fallback)));
    }
}
