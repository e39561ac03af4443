package io.moxie.decoder;

import ai.djl.Device;
import io.moxie.encoders.clip.ClipMoeStageFactory;
import io.moxie.encoders.pointcloud.decode.PointCloudDecodeFactory;
import io.moxie.encoders.pointcloud.detect.GeometricRoiFactory;
import io.moxie.encoders.pointcloud.pointbert.PointBertFactory;
import io.moxie.encoders.pointcloud.roi.RoiSamplerFactory;
import io.moxie.encoders.pointcloud.scene.SceneAggregatorFactory;
import io.moxie.encoders.preprocess.OctaviusImagePreprocessStageFactory;
import io.moxie.encoders.projection.LlamaProjStageFactory;
import io.moxie.experts.lora.LoraExpertBankFactory;
import io.moxie.kernel.model.ModelRepository;
import io.moxie.kernel.pipeline.EngineOptions;
import io.moxie.kernel.pipeline.PipelineDefinition;
import io.moxie.kernel.pipeline.PipelineEngine;
import io.moxie.kernel.pipeline.PipelineYaml;
import io.moxie.kernel.registry.ComponentKind;
import io.moxie.kernel.registry.ComponentRegistry;
import io.moxie.routers.instance.InstanceRouterFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A real pipeline engine with every stage an Octavius model's pipelines name (image, point cloud, decoder) registered
 * in process, and a model repository resolving names as the kernel does (a name from the repository folder, a path
 * as a directory): the distribution's {@code moxie serve} without the OSGi framework.
 */
final class OctaviusEngine implements AutoCloseable {
    static final Path DIST = Path.of("../../dist/src/main/dist");

    final ModelRepository models;
    final PipelineEngine engine;

    OctaviusEngine(Path repository) {
        ComponentRegistry registry = new ComponentRegistry();
        registry.register(ComponentKind.STAGE, new LlmStageFactory(), "test");
        registry.register(ComponentKind.STAGE, new OctaviusImagePreprocessStageFactory(), "test");
        registry.register(ComponentKind.STAGE, new ClipMoeStageFactory(), "test");
        registry.register(ComponentKind.STAGE, new LlamaProjStageFactory(), "test");
        registry.register(ComponentKind.STAGE, new PointCloudDecodeFactory(), "test");
        registry.register(ComponentKind.STAGE, new GeometricRoiFactory(), "test");
        registry.register(ComponentKind.STAGE, new RoiSamplerFactory(), "test");
        registry.register(ComponentKind.STAGE, new PointBertFactory(), "test");
        registry.register(ComponentKind.STAGE, new SceneAggregatorFactory(), "test");
        registry.register(ComponentKind.ROUTER, new InstanceRouterFactory(), "test");
        registry.register(ComponentKind.EXPERTS, new LoraExpertBankFactory(), "test");
        models = new ModelRepository(repository);
        engine = new PipelineEngine(registry,
                ref -> ref.contains("/") ? models.openDirectory(Path.of(ref)) : models.open(ref), Device.cpu(),
                new EngineOptions(Duration.ofSeconds(30), Duration.ofMillis(20), Duration.ofMillis(300)));
    }

    /** Returns the distribution's {@code octavius-chat} default pipeline for the model in {@code dir}. */
    static PipelineDefinition chat(String pipeline, Path dir) throws IOException {
        return new PipelineYaml().parse(Files.readString(DIST.resolve("conf/model-types/octavius-chat.yaml")),
                "octavius-chat.yaml", Map.of("pipeline", pipeline, "model", dir.toAbsolutePath().toString()));
    }

    /** Returns the distribution's scene chat pipeline, on the model {@code model} (a repository name or a path). */
    static PipelineDefinition sceneChat(String model) throws IOException {
        String text = Files.readString(DIST.resolve("conf/pipelines/octavius-tiny-scene.yaml"))
                .replace("model: octavius-tiny", "model: " + model);
        return new PipelineYaml().parse(text, "octavius-tiny-scene.yaml", Map.of());
    }

    /** Deploys and waits until the pipeline serves. */
    void deploy(PipelineDefinition definition) {
        try {
            engine.deploy(definition).get();
        } catch (Exception e) {
            throw PipelineEngine.unwrap(e);
        }
    }

    @Override
    public void close() {
        engine.close();
        models.close();
    }
}
