package io.moxie.gateway.impl;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.grpc.server.GrpcServerRequest;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;

/**
 * The server side of a unary inference call that notices when the client goes away. The generated binding has no
 * way to tell the service that a call was cancelled (or hit its deadline), so it would still compute, then fail
 * writing to a dead stream; this handler lets the work see the cancellation (a request still queued is then
 * skipped) and drops the answer of a call nobody waits for.
 */
public final class CancellableUnary<Req, Resp> implements Handler<GrpcServerRequest<Req, Resp>> {
    private final BiFunction<Req, BooleanSupplier, Future<Resp>> work;

    /**
     * @param work the call's body; the supplier says whether the client has gone away
     */
    public CancellableUnary(BiFunction<Req, BooleanSupplier, Future<Resp>> work) {
        this.work = work;
    }

    @Override
    public void handle(GrpcServerRequest<Req, Resp> request) {
        AtomicBoolean gone = new AtomicBoolean();
        request.errorHandler(error -> gone.set(true));
        request.handler(message -> work.apply(message, gone::get).onComplete(ar -> {
            if (gone.get()) {
                return; // cancelled or past its deadline: the client got its status already
            }
            try {
                if (ar.succeeded()) {
                    request.response().end(ar.result());
                } else {
                    request.response().fail(ar.cause());
                }
            } catch (IllegalStateException streamClosed) {
                // the stream died between the check and the write (a reset racing the answer): nothing to tell
            }
        }));
    }
}
