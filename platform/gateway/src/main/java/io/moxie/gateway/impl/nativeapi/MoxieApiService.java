package io.moxie.gateway.impl.nativeapi;

import io.moxie.api.InvalidInputException;
import io.moxie.gateway.impl.Calls;
import io.moxie.gateway.impl.GrpcErrors;
import io.moxie.gateway.impl.InferenceRunner;
import io.moxie.gateway.impl.PipelineAdmin;
import io.moxie.gateway.proto.moxie.ApplyPipelineRequest;
import io.moxie.gateway.proto.moxie.ComponentInfo;
import io.moxie.gateway.proto.moxie.DeletePipelineRequest;
import io.moxie.gateway.proto.moxie.DeletePipelineResponse;
import io.moxie.gateway.proto.moxie.DescribePipelineRequest;
import io.moxie.gateway.proto.moxie.GenerateRequest;
import io.moxie.gateway.proto.moxie.GenerateResponse;
import io.moxie.gateway.proto.moxie.InferRequest;
import io.moxie.gateway.proto.moxie.InferResponse;
import io.moxie.gateway.proto.moxie.InstallPluginRequest;
import io.moxie.gateway.proto.moxie.ListComponentsRequest;
import io.moxie.gateway.proto.moxie.ListComponentsResponse;
import io.moxie.gateway.proto.moxie.ListPipelinesRequest;
import io.moxie.gateway.proto.moxie.ListPipelinesResponse;
import io.moxie.gateway.proto.moxie.ListPluginsRequest;
import io.moxie.gateway.proto.moxie.ListPluginsResponse;
import io.moxie.gateway.proto.moxie.MoxieService;
import io.moxie.gateway.proto.moxie.PipelineInfo;
import io.moxie.gateway.proto.moxie.PluginInfo;
import io.moxie.gateway.proto.moxie.SwapStageRequest;
import io.moxie.gateway.proto.moxie.UninstallPluginRequest;
import io.moxie.gateway.proto.moxie.UninstallPluginResponse;
import io.moxie.gateway.proto.moxie.UpdatePluginRequest;
import io.moxie.kernel.Kernel;
import io.moxie.kernel.felix.BundleInfo;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.pipeline.PipelineEngine;
import io.moxie.kernel.pipeline.PipelineStatus;
import io.moxie.kernel.registry.Provider;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.streams.WriteStream;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServerResponse;
import io.vertx.grpc.server.StatusException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code moxie.v1.Moxie}: pipelines and their definitions, swaps, plugins, routing traces and generation streams.
 * Reads answer on the event loop; admin changes and bundle operations run on the admin worker pool, forward passes
 * on the inference pool.
 */
public final class MoxieApiService extends MoxieService {
    private final Kernel kernel;
    private final InferenceRunner runner;
    private final PipelineAdmin admin;
    private final WorkerExecutor adminWorkers;
    private final PluginPaths pluginPaths;

    /**
     * @param pluginDirs allow-listed directories plugins may be installed from, besides the plugins folder
     */
    public MoxieApiService(Kernel kernel, InferenceRunner runner, PipelineAdmin admin, WorkerExecutor adminWorkers,
                           List<Path> pluginDirs) {
        this.kernel = kernel;
        this.runner = runner;
        this.admin = admin;
        this.adminWorkers = adminWorkers;
        this.pluginPaths = new PluginPaths(kernel.options().pluginsDir(), pluginDirs);
    }

    private PipelineEngine engine() {
        return kernel.engine();
    }

    private PipelineInfo info(String name, boolean withDefinition) {
        return PipelineInfos.of(engine().status(name), admin.persisted(name), withDefinition);
    }

    @Override
    public Future<ListPipelinesResponse> listPipelines(ListPipelinesRequest request) {
        return Calls.now(() -> {
            ListPipelinesResponse.Builder r = ListPipelinesResponse.newBuilder();
            for (PipelineStatus s : engine().list()) {
                r.addPipelines(PipelineInfos.of(s, admin.persisted(s.name()), false));
            }
            return r.build();
        }, GrpcStatus.INTERNAL);
    }

    @Override
    public Future<PipelineInfo> describePipeline(DescribePipelineRequest request) {
        return Calls.now(() -> info(request.getName(), true), GrpcStatus.INTERNAL);
    }

    @Override
    public Future<PipelineInfo> applyPipeline(ApplyPipelineRequest request) {
        return Calls.blocking(adminWorkers, () -> {
            if (request.getYaml().isBlank()) {
                throw new InvalidInputException("the request carries no pipeline definition");
            }
            String name = admin.apply(request.getYaml()).pipeline();
            return info(name, true);
        }, GrpcStatus.FAILED_PRECONDITION);
    }

    @Override
    public Future<DeletePipelineResponse> deletePipeline(DeletePipelineRequest request) {
        return Calls.blocking(adminWorkers, () -> {
            admin.delete(request.getName());
            return DeletePipelineResponse.getDefaultInstance();
        }, GrpcStatus.FAILED_PRECONDITION);
    }

    @Override
    public Future<PipelineInfo> swapStage(SwapStageRequest request) {
        return Calls.blocking(adminWorkers, () -> {
            String router = request.getRouter().isEmpty() ? null : request.getRouter();
            String experts = request.getExperts().isEmpty() ? null : request.getExperts();
            if (router == null && experts == null) {
                throw new InvalidInputException("name a new router or expert bank implementation to swap to");
            }
            engine().swap(request.getPipeline(), request.getStage(), router, experts).get(10, TimeUnit.MINUTES);
            return info(request.getPipeline(), false);
        }, GrpcStatus.FAILED_PRECONDITION);
    }

    @Override
    public Future<ListPluginsResponse> listPlugins(ListPluginsRequest request) {
        return Calls.now(() -> {
            ListPluginsResponse.Builder r = ListPluginsResponse.newBuilder();
            kernel.plugins().bundles().forEach(b -> r.addPlugins(plugin(b)));
            return r.build();
        }, GrpcStatus.INTERNAL);
    }

    @Override
    public Future<io.moxie.gateway.proto.moxie.ListDevicesResponse> listDevices(
            io.moxie.gateway.proto.moxie.ListDevicesRequest request) {
        return Calls.now(() -> {
            var r = io.moxie.gateway.proto.moxie.ListDevicesResponse.newBuilder();
            for (io.moxie.kernel.device.DeviceStatus d : engine().devices().status()) {
                r.addDevices(io.moxie.gateway.proto.moxie.DeviceInfo.newBuilder().setName(d.name())
                        .setCapacityBytes(d.capacityBytes()).setLeasedBytes(d.leasedBytes()).putAllLeases(d.leases()));
            }
            r.putAllQueueDepths(kernel.scheduler().queueDepths());
            for (PipelineStatus s : engine().list()) {
                engine().layerCounters(s.name()).forEach((layer, counters) -> r.addLayers(
                        io.moxie.gateway.proto.moxie.LayerCounters.newBuilder().setPipeline(s.name()).setLayer(layer)
                                .putAllCounters(counters)));
            }
            return r.build();
        }, GrpcStatus.INTERNAL);
    }

    @Override
    public Future<ListComponentsResponse> listComponents(ListComponentsRequest request) {
        return Calls.now(() -> {
            Map<String, ComponentInfo.Builder> byName = new LinkedHashMap<>();
            for (Provider p : kernel.registry().all()) {
                String kind = p.kind().name().toLowerCase(java.util.Locale.ROOT);
                byName.computeIfAbsent(kind + ":" + p.name(), k -> ComponentInfo.newBuilder().setKind(kind)
                        .setName(p.name())).addProviders(p.describe());
            }
            ListComponentsResponse.Builder r = ListComponentsResponse.newBuilder();
            byName.values().forEach(r::addComponents);
            return r.build();
        }, GrpcStatus.INTERNAL);
    }

    @Override
    public Future<PluginInfo> installPlugin(InstallPluginRequest request) {
        return Calls.blocking(adminWorkers, () -> plugin(kernel.plugins().install(pluginPaths.resolve(request.getPath()))),
                GrpcStatus.FAILED_PRECONDITION);
    }

    @Override
    public Future<PluginInfo> updatePlugin(UpdatePluginRequest request) {
        return Calls.blocking(adminWorkers, () -> {
            long id = bundleId(request.getBundle());
            Path jar = request.getPath().isEmpty() ? null : pluginPaths.resolve(request.getPath());
            return plugin(kernel.plugins().update(id, jar));
        }, GrpcStatus.FAILED_PRECONDITION);
    }

    @Override
    public Future<UninstallPluginResponse> uninstallPlugin(UninstallPluginRequest request) {
        return Calls.blocking(adminWorkers, () -> {
            kernel.plugins().uninstall(bundleId(request.getBundle()));
            return UninstallPluginResponse.getDefaultInstance();
        }, GrpcStatus.FAILED_PRECONDITION);
    }

    /** Finds a bundle by id or symbolic name. */
    private long bundleId(String bundle) {
        if (bundle.isBlank()) {
            throw new InvalidInputException("name the bundle by id or symbolic name");
        }
        for (BundleInfo b : kernel.plugins().bundles()) {
            if (Long.toString(b.id()).equals(bundle) || bundle.equals(b.symbolicName())) {
                return b.id();
            }
        }
        throw GrpcErrors.status(GrpcStatus.NOT_FOUND, "no plugin bundle '" + bundle + "'");
    }

    private static PluginInfo plugin(BundleInfo b) {
        return PluginInfo.newBuilder().setId(b.id()).setSymbolicName(String.valueOf(b.symbolicName()))
                .setVersion(b.version()).setState(b.state()).setLocation(b.location())
                .addAllComponents(b.components()).build();
    }

    @Override
    public Future<InferResponse> infer(InferRequest request) {
        return infer(request, () -> false);
    }

    /**
     * Serves one inference request.
     *
     * @param gone whether the client has gone away (see {@link io.moxie.gateway.impl.CancellableUnary})
     */
    public Future<InferResponse> infer(InferRequest request, java.util.function.BooleanSupplier gone) {
        InferenceRequest decoded;
        try {
            decoded = new InferenceRequest(NativeTensors.decode(request.getInputsList()), request.getParametersMap(),
                    request.getTraceRouting());
        } catch (RuntimeException e) {
            return runner.reject(request.getPipeline(), e);
        }
        return runner.infer(request.getPipeline(), decoded, gone).map(result -> {
            InferResponse.Builder r = InferResponse.newBuilder().setPipeline(result.pipeline())
                    .setVersion(result.version().version());
            result.outputs().forEach((name, t) -> r.addOutputs(NativeTensors.encode(name, t)));
            r.addAllRouting(NativeTensors.routing(result.routing()));
            return r.build();
        });
    }

    @Override
    protected void generate(GenerateRequest request, WriteStream<GenerateResponse> response) {
        // tokens are written as the decoder produces them (on a worker thread: hop to this call's context)
        io.vertx.core.Context context = io.vertx.core.Vertx.currentContext();
        java.util.concurrent.atomic.AtomicInteger streamed = new java.util.concurrent.atomic.AtomicInteger();
        Future<InferenceRequest> decoded;
        try {
            decoded = Future.succeededFuture(new InferenceRequest(NativeTensors.decode(request.getInputsList()),
                    request.getParametersMap(), request.getTraceRouting()).withTokenListener((ids, text) -> {
                        GenerateResponse.Builder event = GenerateResponse.newBuilder()
                                .setIndex(streamed.getAndIncrement()).setText(text);
                        for (long id : ids) {
                            event.addTokenIds(id);
                        }
                        GenerateResponse built = event.build();
                        context.runOnContext(v -> response.write(built));
                    }));
        } catch (RuntimeException e) {
            decoded = runner.reject(request.getPipeline(), e);
        }
        decoded.compose(r -> runner.infer(request.getPipeline(), r)).onComplete(ar -> {
            if (ar.failed()) {
                fail(response, ar.cause());
                return;
            }
            // runs after the queued token writes: runOnContext keeps their order
            for (GenerateResponse event : GenerationEvents.of(ar.result(), streamed.get())) {
                response.write(event);
            }
            response.end();
        });
    }

    private static void fail(WriteStream<GenerateResponse> response, Throwable cause) {
        StatusException status = GrpcErrors.toStatus(cause, GrpcStatus.INTERNAL);
        if (response instanceof GrpcServerResponse<?, ?> grpc) {
            grpc.fail(status);
        } else {
            response.end();
        }
    }
}
