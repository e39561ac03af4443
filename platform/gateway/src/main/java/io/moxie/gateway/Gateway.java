package io.moxie.gateway;

import io.moxie.gateway.impl.CancellableUnary;
import io.moxie.gateway.impl.InferenceRunner;
import io.moxie.gateway.impl.PipelineAdmin;
import io.moxie.gateway.impl.auth.AccessGate;
import io.moxie.gateway.impl.auth.AccessPolicy;
import io.moxie.gateway.impl.health.PipelineHealth;
import io.moxie.gateway.impl.kserve.KServeService;
import io.moxie.gateway.impl.metrics.GatewayMetrics;
import io.moxie.gateway.impl.metrics.MetricsEndpoint;
import io.moxie.gateway.impl.nativeapi.MoxieApiService;
import io.moxie.gateway.impl.wire.CoalescingRequest;
import io.moxie.gateway.impl.wire.ZeroCopyCodec;
import io.moxie.gateway.proto.inference.GRPCInferenceServiceGrpcService;
import io.moxie.gateway.proto.inference.ModelInferRequest;
import io.moxie.gateway.proto.inference.ModelInferResponse;
import io.moxie.gateway.proto.moxie.InferRequest;
import io.moxie.gateway.proto.moxie.MoxieGrpcService;
import io.moxie.kernel.Kernel;
import io.moxie.kernel.store.PipelineStore;
import io.vertx.core.Context;
import io.vertx.core.Deployable;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.health.HealthService;
import io.vertx.grpc.reflection.ReflectionService;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moxie's network face: one gRPC port (Vert.x HTTP/2) serving the Open Inference Protocol
 * ({@code inference.GRPCInferenceService}), the native {@code moxie.v1.Moxie} API, {@code grpc.health.v1.Health}
 * and server reflection; and one HTTP port serving Prometheus metrics at {@code /metrics}.
 *
 * <p>Forward passes run on a worker pool, admin changes on a second one; event loops only decode, check and
 * encode. Admin calls need the bearer token of {@link GatewayOptions#adminToken()}.
 *
 * <p>Owns its Vert.x instance, servers and worker pools, not the kernel: close the gateway first (it drains the
 * requests in flight), then the kernel.
 */
public final class Gateway implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);
    private static final String KSERVE = "inference.GRPCInferenceService";
    private static final String NATIVE = "moxie.v1.Moxie";
    // a forward pass may legitimately run for minutes; Vert.x's blocked-thread warning should not fire before
    private static final long MAX_EXECUTE_MINUTES = 30;

    private final GatewayOptions options;
    private final Vertx vertx;
    private final WorkerExecutor adminWorkers;
    private final GatewayMetrics metrics;
    private final InferenceRunner runner;
    private final Context control;
    private volatile boolean accepting = true;
    private final List<HttpServer> grpcServers = new CopyOnWriteArrayList<>();
    private volatile HttpServer metricsServer;
    private long healthTimer = -1;
    private boolean closed;

    private final Kernel kernel;

    private Gateway(Kernel kernel, GatewayOptions options) {
        this.kernel = kernel;
        this.options = options;
        this.vertx = Vertx.vertx();
        this.adminWorkers = vertx.createSharedWorkerExecutor("moxie-admin", 2, MAX_EXECUTE_MINUTES, TimeUnit.MINUTES);
        this.metrics = new GatewayMetrics(kernel.engine(), kernel.scheduler());
        this.runner = new InferenceRunner(kernel.scheduler(), metrics);
        kernel.scheduler().addListener(metrics);
        this.control = vertx.getOrCreateContext();
    }

    /**
     * Starts a gateway in front of a running kernel.
     *
     * @return completes once both ports listen, or exceptionally (everything started is closed again)
     */
    public static CompletableFuture<Gateway> start(Kernel kernel, GatewayOptions options) {
        Gateway gateway = new Gateway(kernel, options);
        CompletableFuture<Gateway> started = new CompletableFuture<>();
        gateway.control.runOnContext(v -> gateway.listen(kernel).onComplete(ar -> {
            if (ar.succeeded()) {
                started.complete(gateway);
            } else {
                gateway.close();
                started.completeExceptionally(ar.cause());
            }
        }));
        return started;
    }

    private io.vertx.core.Future<Void> listen(Kernel kernel) {
        kernel.engine().addListener(metrics);
        PipelineStore store = kernel.pipelineStore();
        HealthService health = HealthService.create(vertx);
        PipelineHealth pipelineHealth = new PipelineHealth(health, kernel.engine(), List.of(KSERVE, NATIVE),
                () -> accepting);
        pipelineHealth.sync();
        healthTimer = vertx.setPeriodic(1000, id -> pipelineHealth.sync());
        PipelineAdmin admin = new PipelineAdmin(kernel, store, () -> control.runOnContext(v -> pipelineHealth.sync()));

        GrpcServer grpc = GrpcServer.server(vertx, new GrpcServerOptions()
                .setMaxMessageSize(options.maxMessageBytes())
                .setScheduleDeadlineAutomatically(true)
                .setDeadlinePropagation(true));
        KServeService kserve = new KServeService(kernel, runner, admin, adminWorkers, () -> accepting, version());
        MoxieApiService moxie = new MoxieApiService(kernel, runner, admin, adminWorkers, options.pluginDirs());
        // the inference calls get their own bindings, which notice cancelled calls (see CancellableUnary)
        grpc.addService(GRPCInferenceServiceGrpcService.builder(kserve)
                .bind(except(GRPCInferenceServiceGrpcService.all(), GRPCInferenceServiceGrpcService.ModelInfer)).build());
        grpc.addService(MoxieGrpcService.builder(moxie).bind(except(MoxieGrpcService.all(), MoxieGrpcService.Infer)).build());
        // ... and codecs that do not copy tensor bytes (see ZeroCopyCodec)
        grpc.callHandler(tensorMethod(GRPCInferenceServiceGrpcService.ModelInfer, ModelInferRequest.getDefaultInstance(),
                ZeroCopyCodec.rawTailEncoder(ModelInferResponse.RAW_OUTPUT_CONTENTS_FIELD_NUMBER,
                        r -> r.toBuilder().clearRawOutputContents().build(),
                        ModelInferResponse::getRawOutputContentsList)), new CancellableUnary<>(kserve::modelInfer));
        grpc.callHandler(tensorMethod(MoxieGrpcService.Infer, InferRequest.getDefaultInstance(), ZeroCopyCodec.encoder()),
                new CancellableUnary<>(moxie::infer));
        grpc.addService(health);
        grpc.addService(ReflectionService.v1());

        HttpServerOptions http = new HttpServerOptions().setHost(options.host()).setPort(options.port())
                // Vert.x's rapid-reset guard (200 RST frames per 30 s) trips on ordinary cancellations under load
                // and closes the connection with ENHANCE_YOUR_CALM (notes/platform-facts.md §3)
                .setHttp2RstFloodMaxRstFramePerWindow(1_000_000)
                // large tensors: bigger flow-control windows mean fewer WINDOW_UPDATE round trips per message
                .setHttp2ConnectionWindowSize(16 << 20)
                .setInitialSettings(new Http2Settings().setInitialWindowSize(4 << 20).setMaxConcurrentStreams(1024));
        AccessPolicy policy = new AccessPolicy(options.adminToken(), options.insecureAdmin(),
                options.requireTokenForInference());
        // large messages reach the gRPC server in one piece (see CoalescingRequest)
        long maxMessage = options.maxMessageBytes();
        Handler<HttpServerRequest> handler =
                new AccessGate(policy, request -> grpc.handle(CoalescingRequest.wrap(request, maxMessage)));
        // one server per core, each on an event loop of its own, sharing the port: Vert.x hands each new connection
        // to the next instance, so clients on several connections are decoded and encoded in parallel (a negative
        // port is Vert.x's way of sharing one random port between the instances)
        if (options.port() == 0) {
            http.setPort(-1);
        }
        io.vertx.core.Future<String> grpcListening = vertx.deployVerticle(() -> new GrpcListener(http, handler, grpcServers),
                new DeploymentOptions().setInstances(Math.max(1, Runtime.getRuntime().availableProcessors())));
        io.vertx.core.Future<HttpServer> metricsListening = options.metricsPort() < 0
                ? io.vertx.core.Future.succeededFuture(null)
                : vertx.createHttpServer(new HttpServerOptions().setHost(options.host()).setPort(options.metricsPort()))
                        .requestHandler(new MetricsEndpoint(metrics)).listen();
        return io.vertx.core.Future.all(grpcListening, metricsListening).map(all -> {
            metricsServer = metricsListening.result();
            if (options.adminToken() == null) {
                LOG.warn(options.insecureAdmin() ? "admin calls are open to anyone who can connect (--insecure-admin)"
                        : "no admin token: admin calls are refused (give --token-file to enable them)");
            }
            return null;
        });
    }

    /** The generated method with tensor-friendly codecs. */
    private static <Req extends com.google.protobuf.Message, Resp> ServiceMethod<Req, Resp> tensorMethod(
            ServiceMethod<Req, Resp> generated, Req prototype, GrpcMessageEncoder<Resp> encoder) {
        return ServiceMethod.server(generated.serviceName(), generated.methodName(), encoder,
                ZeroCopyCodec.decoder(prototype));
    }

    private static List<ServiceMethod<?, ?>> except(List<ServiceMethod<?, ?>> all, ServiceMethod<?, ?> left) {
        List<ServiceMethod<?, ?>> out = new java.util.ArrayList<>(all);
        out.remove(left);
        return out;
    }

    /** Returns the gRPC port (the actual one when 0 was asked for). */
    public int port() {
        return grpcServers.get(0).actualPort();
    }

    /** Returns the metrics port, or -1 when metrics are off. */
    public int metricsPort() {
        return metricsServer == null ? -1 : metricsServer.actualPort();
    }

    /** Returns {@code host:port} of the gRPC server. */
    public String address() {
        return options.host() + ":" + port();
    }

    /** Returns the gateway's telemetry (what {@code /metrics} serves). */
    public String scrapeMetrics() {
        return metrics.scrape();
    }

    private static String version() {
        String v = Gateway.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /**
     * Stops accepting calls, waits for those in flight (up to {@link GatewayOptions#drainTimeout()}), then closes
     * the servers, the worker pools and Vert.x. Idempotent.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        accepting = false;
        runner.stopAccepting();
        Duration drain = options.drainTimeout();
        try {
            // graceful: GOAWAY to clients, then wait for open streams (responses in flight) to finish
            await(io.vertx.core.Future.all(grpcServers.stream()
                    .map(server -> server.shutdown(drain.toMillis(), TimeUnit.MILLISECONDS)).toList()), drain.plusSeconds(5));
            if (!runner.awaitIdle(drain)) {
                LOG.warn("{} requests still running after the drain timeout of {}", metrics.inFlight(), drain);
            }
            if (metricsServer != null) {
                await(metricsServer.close(), Duration.ofSeconds(5));
            }
        } finally {
            metrics.detach();
            kernel.engine().removeListener(metrics);
            kernel.scheduler().removeListener(metrics);
            if (healthTimer >= 0) {
                vertx.cancelTimer(healthTimer);
            }
            await(adminWorkers.close(), Duration.ofSeconds(5));
            await(vertx.close(), Duration.ofSeconds(10));
        }
    }

    /** One gRPC server, listening on the event loop of the context it is deployed on. */
    private static final class GrpcListener implements Deployable {
        private final HttpServerOptions options;
        private final Handler<HttpServerRequest> handler;
        private final List<HttpServer> listening;

        GrpcListener(HttpServerOptions options, Handler<HttpServerRequest> handler, List<HttpServer> listening) {
            this.options = options;
            this.handler = handler;
            this.listening = listening;
        }

        @Override
        public io.vertx.core.Future<?> deploy(Context context) {
            return context.owner().createHttpServer(options).requestHandler(handler).listen().onSuccess(listening::add);
        }

        @Override
        public io.vertx.core.Future<?> undeploy(Context context) {
            // Vert.x closes the servers of a deployment when it undeploys it; the gateway has drained them before
            return io.vertx.core.Future.succeededFuture();
        }
    }

    private static void await(io.vertx.core.Future<?> f, Duration timeout) {
        try {
            f.toCompletionStage().toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.warn("gateway shutdown step failed: {}", e.toString());
        }
    }
}
