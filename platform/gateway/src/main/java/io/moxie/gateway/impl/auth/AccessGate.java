package io.moxie.gateway.impl.auth;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.nio.charset.StandardCharsets;

/**
 * The HTTP/2 request handler in front of the gRPC server: applies the {@link AccessPolicy} before any service
 * code runs, so authorisation is one place for every service (generated stubs never see credentials). A refused
 * call gets a gRPC "trailers-only" response: HTTP 200 with {@code grpc-status} and {@code grpc-message} headers.
 */
public final class AccessGate implements Handler<HttpServerRequest> {
    private final AccessPolicy policy;
    private final Handler<HttpServerRequest> next;

    public AccessGate(AccessPolicy policy, Handler<HttpServerRequest> next) {
        this.policy = policy;
        this.next = next;
    }

    @Override
    public void handle(HttpServerRequest request) {
        AccessPolicy.Denial denial = policy.check(request.path(), request.getHeader("authorization"));
        if (denial == null) {
            next.handle(request);
            return;
        }
        HttpServerResponse response = request.response();
        response.putHeader("content-type", "application/grpc");
        response.putHeader("grpc-status", Integer.toString(denial.status().code));
        response.putHeader("grpc-message", percentEncode(denial.message()));
        response.end();
    }

    /** gRPC's encoding of {@code grpc-message}: printable ASCII except '%' as is, every other byte as %XX. */
    static String percentEncode(String message) {
        StringBuilder out = new StringBuilder();
        for (byte b : message.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 0x20 && c <= 0x7e && c != '%') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
