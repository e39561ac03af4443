package io.moxie.gateway.impl.metrics;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;

/** The HTTP handler of the metrics port: {@code GET /metrics} in the Prometheus text format, 404 elsewhere. */
public final class MetricsEndpoint implements Handler<HttpServerRequest> {
    private final GatewayMetrics metrics;

    public MetricsEndpoint(GatewayMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void handle(HttpServerRequest request) {
        if (!"/metrics".equals(request.path())) {
            request.response().setStatusCode(404).end("not found: try /metrics\n");
            return;
        }
        request.response().putHeader("content-type", PrometheusText.CONTENT_TYPE).end(metrics.scrape());
    }
}
