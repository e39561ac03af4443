package io.moxie.gateway.impl.kserve;

import io.moxie.api.InvalidInputException;
import io.moxie.gateway.impl.Calls;
import io.moxie.gateway.impl.GrpcErrors;
import io.moxie.gateway.impl.InferenceRunner;
import io.moxie.gateway.impl.PipelineAdmin;
import io.moxie.gateway.impl.TensorTypes;
import io.moxie.gateway.proto.inference.GRPCInferenceServiceService;
import io.moxie.gateway.proto.inference.ModelInferRequest;
import io.moxie.gateway.proto.inference.ModelInferResponse;
import io.moxie.gateway.proto.inference.ModelMetadataRequest;
import io.moxie.gateway.proto.inference.ModelMetadataResponse;
import io.moxie.gateway.proto.inference.ModelReadyRequest;
import io.moxie.gateway.proto.inference.ModelReadyResponse;
import io.moxie.gateway.proto.inference.RepositoryIndexRequest;
import io.moxie.gateway.proto.inference.RepositoryIndexResponse;
import io.moxie.gateway.proto.inference.RepositoryModelLoadRequest;
import io.moxie.gateway.proto.inference.RepositoryModelLoadResponse;
import io.moxie.gateway.proto.inference.RepositoryModelUnloadRequest;
import io.moxie.gateway.proto.inference.RepositoryModelUnloadResponse;
import io.moxie.gateway.proto.inference.ServerLiveRequest;
import io.moxie.gateway.proto.inference.ServerLiveResponse;
import io.moxie.gateway.proto.inference.ServerMetadataRequest;
import io.moxie.gateway.proto.inference.ServerMetadataResponse;
import io.moxie.gateway.proto.inference.ServerReadyRequest;
import io.moxie.gateway.proto.inference.ServerReadyResponse;
import io.moxie.kernel.Kernel;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.pipeline.PipelineDefinition;
import io.moxie.kernel.pipeline.PipelineEngine;
import io.moxie.kernel.pipeline.PipelineStatus;
import io.vertx.core.Future;
import io.vertx.core.WorkerExecutor;
import io.vertx.grpc.common.GrpcStatus;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import ai.djl.ndarray.types.DataType;
import io.moxie.api.TensorSpec;
import java.util.function.BooleanSupplier;

/**
 * {@code inference.GRPCInferenceService}, the Open Inference Protocol: each pipeline is a model, each compiled
 * version a model version. Forward passes and admin changes run on worker pools; everything else answers on the
 * event loop from the engine's state.
 */
public final class KServeService extends GRPCInferenceServiceService {
    private static final String PLATFORM = "moxie";

    private final Kernel kernel;
    private final InferenceRunner runner;
    private final PipelineAdmin admin;
    private final WorkerExecutor adminWorkers;
    private final BooleanSupplier accepting;
    private final String version;

    /**
     * @param adminWorkers the pool admin changes run on (owned by the caller)
     * @param accepting false once the server is shutting down (ServerReady then says no)
     * @param version the server version reported by ServerMetadata
     */
    public KServeService(Kernel kernel, InferenceRunner runner, PipelineAdmin admin, WorkerExecutor adminWorkers,
                         BooleanSupplier accepting, String version) {
        this.kernel = kernel;
        this.runner = runner;
        this.admin = admin;
        this.adminWorkers = adminWorkers;
        this.accepting = accepting;
        this.version = version;
    }

    private PipelineEngine engine() {
        return kernel.engine();
    }

    @Override
    public Future<ServerLiveResponse> serverLive(ServerLiveRequest request) {
        return Future.succeededFuture(ServerLiveResponse.newBuilder().setLive(true).build());
    }

    /** Ready once no pipeline is still loading (failed ones are reported by ModelReady and RepositoryIndex). */
    @Override
    public Future<ServerReadyResponse> serverReady(ServerReadyRequest request) {
        return Calls.now(() -> {
            boolean ready = accepting.getAsBoolean()
                    && engine().list().stream().noneMatch(s -> s.state() == PipelineStatus.State.LOADING);
            return ServerReadyResponse.newBuilder().setReady(ready).build();
        }, GrpcStatus.INTERNAL);
    }

    @Override
    public Future<ModelReadyResponse> modelReady(ModelReadyRequest request) {
        return Calls.now(() -> {
            PipelineStatus s = engine().status(request.getName());
            boolean ready = s.state() == PipelineStatus.State.READY && s.version() != null
                    && (request.getVersion().isEmpty() || request.getVersion().equals(Integer.toString(s.version().version())));
            return ModelReadyResponse.newBuilder().setReady(ready).build();
        }, GrpcStatus.INTERNAL);
    }

    @Override
    public Future<ServerMetadataResponse> serverMetadata(ServerMetadataRequest request) {
        return Future.succeededFuture(ServerMetadataResponse.newBuilder().setName(PLATFORM).setVersion(version)
                .addExtensions("model_repository").addExtensions("parameters").addExtensions("moxie.v1").build());
    }

    @Override
    public Future<ModelMetadataResponse> modelMetadata(ModelMetadataRequest request) {
        return Calls.now(() -> {
            PipelineStatus s = engine().status(request.getName());
            checkVersion(s, request.getVersion());
            ModelMetadataResponse.Builder r = ModelMetadataResponse.newBuilder().setName(s.name()).setPlatform(PLATFORM);
            if (s.version() != null) {
                r.addVersions(Integer.toString(s.version().version()));
            }
            PipelineDefinition def = s.definition();
            for (PipelineDefinition.InputDefinition in : def.inputs()) {
                ModelMetadataResponse.TensorMetadata.Builder t = r.addInputsBuilder().setName(in.name())
                        .setDatatype(TensorTypes.fromPipelineDtype(in.dataType()));
                if ("BYTES".equals(t.getDatatype())) {
                    t.addShape(1);
                } else if (in.shape() != null) {
                    for (long d : in.shape()) {
                        t.addShape(d);
                    }
                } else {
                    t.addShape(-1); // any shape: reported as one variable dimension
                }
            }
            if (s.version() != null) {
                for (TensorSpec out : s.version().outputs()) {
                    ModelMetadataResponse.TensorMetadata.Builder t = r.addOutputsBuilder().setName(out.name())
                            .setDatatype(out.dataType() == DataType.UNKNOWN ? "" : TensorTypes.toWire(out.dataType()));
                    if (out.shape() == null) {
                        t.addShape(-1); // any shape: reported as one variable dimension
                    } else {
                        for (long d : out.shape()) {
                            t.addShape(d);
                        }
                    }
                }
            } else {
                // nothing serves yet, so no stage has declared its outputs: names only
                new TreeMap<>(def.outputs()).keySet().forEach(name -> r.addOutputsBuilder().setName(name));
            }
            return r.build();
        }, GrpcStatus.INTERNAL);
    }

    @Override
    public Future<ModelInferResponse> modelInfer(ModelInferRequest request) {
        return modelInfer(request, () -> false);
    }

    /**
     * Serves one inference request.
     *
     * @param gone whether the client has gone away (see {@link io.moxie.gateway.impl.CancellableUnary})
     */
    public Future<ModelInferResponse> modelInfer(ModelInferRequest request, java.util.function.BooleanSupplier gone) {
        String model = request.getModelName();
        InferenceRequest decoded;
        try {
            PipelineStatus s = engine().status(model);
            checkVersion(s, request.getModelVersion());
            decoded = V2Codec.decode(request);
        } catch (RuntimeException e) {
            return runner.reject(model, e);
        }
        return runner.infer(model, decoded, gone).compose(result -> {
            try {
                return Future.succeededFuture(V2Codec.encode(request, result));
            } catch (InvalidInputException e) {
                return Future.failedFuture(GrpcErrors.toStatus(e, GrpcStatus.INVALID_ARGUMENT));
            }
        });
    }

    private static void checkVersion(PipelineStatus s, String wanted) {
        if (wanted.isEmpty()) {
            return;
        }
        int serving = s.version() == null ? 0 : s.version().version();
        if (!wanted.equals(Integer.toString(serving))) {
            throw GrpcErrors.status(GrpcStatus.NOT_FOUND, "model '" + s.name() + "' version " + wanted
                    + " is not served" + (serving == 0 ? "" : " (serving version " + serving + ")"));
        }
    }

    @Override
    public Future<RepositoryIndexResponse> repositoryIndex(RepositoryIndexRequest request) {
        return Calls.now(() -> {
            Map<String, RepositoryIndexResponse.ModelIndex> index = new TreeMap<>();
            for (String model : kernel.models().list()) {
                index.put(model, RepositoryIndexResponse.ModelIndex.newBuilder().setName(model)
                        .setState("UNAVAILABLE").setReason("unloaded").build());
            }
            for (PipelineStatus s : engine().list()) {
                RepositoryIndexResponse.ModelIndex.Builder m = RepositoryIndexResponse.ModelIndex.newBuilder()
                        .setName(s.name()).setState(s.state().name());
                if (s.version() != null) {
                    m.setVersion(Integer.toString(s.version().version()));
                }
                if (s.lastError() != null) {
                    m.setReason(s.lastError());
                }
                index.put(s.name(), m.build());
            }
            RepositoryIndexResponse.Builder r = RepositoryIndexResponse.newBuilder();
            index.values().stream().filter(m -> !request.getReady() || m.getState().equals("READY"))
                    .forEach(r::addModels);
            return r.build();
        }, GrpcStatus.INTERNAL);
    }

    @Override
    public Future<RepositoryModelLoadResponse> repositoryModelLoad(RepositoryModelLoadRequest request) {
        return Calls.blocking(adminWorkers, () -> {
            admin.load(request.getModelName());
            return RepositoryModelLoadResponse.getDefaultInstance();
        }, GrpcStatus.FAILED_PRECONDITION);
    }

    @Override
    public Future<RepositoryModelUnloadResponse> repositoryModelUnload(RepositoryModelUnloadRequest request) {
        return Calls.blocking(adminWorkers, () -> {
            admin.unload(request.getModelName());
            return RepositoryModelUnloadResponse.getDefaultInstance();
        }, GrpcStatus.FAILED_PRECONDITION);
    }
}
