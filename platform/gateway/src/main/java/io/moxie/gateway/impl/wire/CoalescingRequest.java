package io.moxie.gateway.impl.wire;

import io.vertx.core.Handler;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.internal.http.HttpServerRequestInternal;
import io.vertx.core.internal.http.HttpServerRequestWrapper;

/**
 * Hands each large gRPC message of a request body to the gRPC server as one buffer, gathered with one copy into a
 * buffer of the message's final size.
 *
 * <p>Why: Vert.x's gRPC deframer appends every HTTP/2 DATA frame (16 KiB by default) to one growing heap buffer, so
 * a 2.4 MB tensor was copied about twice more while the buffer doubled, with a fresh multi-megabyte array at each
 * step (G1 "humongous" allocations that forced young collections). Given the whole message at once, the deframer
 * keeps that buffer as it is and slices the message out of it without copying, and the decoder can then parse
 * with aliasing (see {@link ZeroCopyCodec}).
 *
 * <p>Only the 5-byte gRPC message prefixes are read; bytes are never changed or reordered, so everything the gRPC
 * server would have seen it still sees: small messages, messages larger than the configured maximum (the server
 * answers those with {@code RESOURCE_EXHAUSTED}) and bytes of a message that never completes pass through.
 *
 * <p>Built on Vert.x's {@code io.vertx.core.internal.http.HttpServerRequestWrapper} (internal API, as are the
 * gRPC server's own casts to {@code HttpServerRequestInternal}): re-check on a Vert.x upgrade; {@code
 * LargeTensorTest} and {@code MessageGathererTest} cover it.
 */
public final class CoalescingRequest extends HttpServerRequestWrapper {
    private final MessageGatherer gatherer;
    private Handler<Buffer> downstream;

    private CoalescingRequest(HttpServerRequestInternal delegate, long maxMessageBytes) {
        super(delegate);
        this.gatherer = new MessageGatherer(maxMessageBytes, this::emit);
    }

    /**
     * Wraps a gRPC request over HTTP/2 ({@code application/grpc}, {@code application/grpc+proto}); returns any
     * other request (gRPC-Web, HTTP/1.x, transcoding) as it is.
     *
     * @param maxMessageBytes the gRPC server's maximum message size: larger messages are left to it to refuse
     */
    public static HttpServerRequest wrap(HttpServerRequest request, long maxMessageBytes) {
        if (request.version() != HttpVersion.HTTP_2 || !(request instanceof HttpServerRequestInternal internal)) {
            return request;
        }
        String type = request.getHeader("content-type");
        if (type == null || !(type.equals("application/grpc") || type.equals("application/grpc+proto"))) {
            return request;
        }
        return new CoalescingRequest(internal, maxMessageBytes);
    }

    @Override
    public HttpServerRequest handler(Handler<Buffer> handler) {
        downstream = handler;
        delegate.handler(handler == null ? null : gatherer::receive);
        return this;
    }

    @Override
    public HttpServerRequest endHandler(Handler<Void> handler) {
        delegate.endHandler(handler == null ? null : v -> {
            gatherer.flush();
            handler.handle(v);
        });
        return this;
    }

    private void emit(Buffer buffer) {
        Handler<Buffer> h = downstream;
        if (h != null) {
            h.handle(buffer);
        }
    }
}
