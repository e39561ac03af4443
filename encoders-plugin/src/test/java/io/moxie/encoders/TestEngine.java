package io.moxie.encoders;

import ai.djl.Device;
import io.moxie.encoders.clip.ClipMoeStageFactory;
import io.moxie.encoders.preprocess.ClipPreprocessStageFactory;
import io.moxie.encoders.connector.MlpMoeConnectorStageFactory;
import io.moxie.encoders.preprocess.OctaviusImagePreprocessStageFactory;
import io.moxie.encoders.projection.LlamaProjStageFactory;
import io.moxie.encoders.s2.S2MergeStageFactory;
import io.moxie.encoders.s2.S2SplitStageFactory;
import io.moxie.experts.GroupedMlpExpertBankFactory;
import io.moxie.experts.MlpExpertBankFactory;
import io.moxie.experts.OffloadedMlpExpertBankFactory;
import io.moxie.experts.blas.BlasMlpExpertBankFactory;
import io.moxie.kernel.device.DeviceManager;
import io.moxie.kernel.model.ModelRepository;
import io.moxie.kernel.pipeline.EngineListener;
import io.moxie.kernel.pipeline.EngineOptions;
import io.moxie.kernel.pipeline.InferenceResult;
import io.moxie.kernel.schedule.Scheduler;
import io.moxie.kernel.schedule.SchedulerOptions;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.pipeline.PipelineDefinition;
import io.moxie.kernel.pipeline.PipelineEngine;
import io.moxie.kernel.pipeline.VersionInfo;
import io.moxie.kernel.registry.ComponentKind;
import io.moxie.kernel.registry.ComponentRegistry;
import io.moxie.kernel.tensor.HostTensor;
import io.moxie.routers.HashRouterFactory;
import io.moxie.routers.TopKRouterFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.Map;

/**
 * A real {@link PipelineEngine} with the factories of the three built-in plugins registered in process; models are
 * opened by directory.
 */
final class TestEngine implements AutoCloseable {
    private final ModelRepository repository;
    private final PipelineEngine engine;

    TestEngine(Path scratch) {
        this(scratch, new DeviceManager(Map.of(Device.cpu(), Long.MAX_VALUE)));
    }

    /** An engine whose stages are leased on {@code devices} (simulated devices, for placement tests). */
    TestEngine(Path scratch, DeviceManager devices) {
        ComponentRegistry registry = new ComponentRegistry();
        registry.register(ComponentKind.STAGE, new ClipPreprocessStageFactory(), "encoders-plugin");
        registry.register(ComponentKind.STAGE, new S2SplitStageFactory(), "encoders-plugin");
        registry.register(ComponentKind.STAGE, new ClipMoeStageFactory(), "encoders-plugin");
        registry.register(ComponentKind.STAGE, new S2MergeStageFactory(), "encoders-plugin");
        registry.register(ComponentKind.STAGE, new MlpMoeConnectorStageFactory(), "encoders-plugin");
        registry.register(ComponentKind.STAGE, new OctaviusImagePreprocessStageFactory(), "encoders-plugin");
        registry.register(ComponentKind.STAGE, new LlamaProjStageFactory(), "encoders-plugin");
        registry.register(ComponentKind.ROUTER, new TopKRouterFactory(), "router-plugin");
        registry.register(ComponentKind.ROUTER, new HashRouterFactory(), "router-plugin");
        registry.register(ComponentKind.EXPERTS, new MlpExpertBankFactory(), "experts-plugin");
        registry.register(ComponentKind.EXPERTS, new GroupedMlpExpertBankFactory(), "experts-plugin");
        registry.register(ComponentKind.EXPERTS, new BlasMlpExpertBankFactory(), "experts-plugin");
        registry.register(ComponentKind.EXPERTS, new OffloadedMlpExpertBankFactory(), "experts-plugin");
        repository = new ModelRepository(scratch);
        engine = new PipelineEngine(registry, ref -> repository.openDirectory(Path.of(ref)), devices,
                EngineOptions.DEFAULTS);
    }

    VersionInfo deploy(PipelineDefinition definition) {
        try {
            return engine.deploy(definition).join();
        } catch (RuntimeException e) {
            throw PipelineEngine.unwrap(e);
        }
    }

    /** Swaps the expert bank of every named stage, one swap each. */
    void swapExperts(String pipeline, String experts, String... stages) {
        for (String stage : stages) {
            engine.swap(pipeline, stage, null, experts).join();
        }
    }

    void swapRouter(String pipeline, String stage, String router) {
        engine.swap(pipeline, stage, router, null).join();
    }

    Map<String, HostTensor> infer(String pipeline, Map<String, HostTensor> inputs) {
        return engine.infer(pipeline, InferenceRequest.of(inputs)).outputs();
    }

    /**
     * Sends the same request {@code copies} times at once through a scheduler (dynamic batching as the pipeline
     * definition says) and returns the answers, with the sizes of the batches that ran.
     */
    List<Map<String, HostTensor>> inferConcurrently(String pipeline, Map<String, HostTensor> inputs, int copies,
                                                    List<Integer> batchSizes) {
        engine.addListener(new EngineListener() {
            @Override
            public void batchRan(String p, int size) {
                batchSizes.add(size);
            }
        });
        try (Scheduler scheduler = new Scheduler(engine, new SchedulerOptions(1, 64))) {
            List<CompletableFuture<InferenceResult>> futures = new ArrayList<>();
            for (int i = 0; i < copies; i++) {
                futures.add(scheduler.submit(pipeline, InferenceRequest.of(inputs), 0));
            }
            List<Map<String, HostTensor>> out = new ArrayList<>();
            futures.forEach(f -> out.add(f.join().outputs()));
            return out;
        }
    }

    /** Returns the devices and their leases. */
    DeviceManager devices() {
        return engine.devices();
    }

    /** Removes a pipeline and waits until its version is closed. */
    void remove(String pipeline) {
        engine.remove(pipeline).join();
    }

    /** Returns how many arrays the engine holds (weights of deployed versions plus anything leaked). */
    int liveArrays() {
        return engine.rootManager().getManagedArrays().size();
    }

    @Override
    public void close() {
        engine.close();
        repository.close();
    }
}
