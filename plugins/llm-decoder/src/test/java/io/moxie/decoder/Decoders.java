package io.moxie.decoder;

import ai.djl.Device;
import io.moxie.encoders.clip.ClipMoeStageFactory;
import io.moxie.encoders.preprocess.OctaviusImagePreprocessStageFactory;
import io.moxie.encoders.projection.LlamaProjStageFactory;
import io.moxie.experts.lora.LoraExpertBankFactory;
import io.moxie.experts.lora.MergedLoraExpertBankFactory;
import io.moxie.experts.swiglu.BlasSwigluExpertBankFactory;
import io.moxie.experts.swiglu.SwigluExpertBankFactory;
import io.moxie.kernel.model.ModelRepository;
import io.moxie.kernel.pipeline.EngineOptions;
import io.moxie.kernel.pipeline.PipelineDefinition;
import io.moxie.kernel.pipeline.PipelineEngine;
import io.moxie.kernel.pipeline.PipelineYaml;
import io.moxie.kernel.pipeline.StageDefinition;
import io.moxie.kernel.registry.ComponentKind;
import io.moxie.kernel.registry.ComponentRegistry;
import io.moxie.routers.TopKRouterFactory;
import io.moxie.routers.instance.InstanceRouterFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A real pipeline engine with the decoder and the routers and expert banks its pipelines name, registered in-process,
 * deploying the distribution's default pipeline of a model's {@code model_type} (the templates under
 * {@code dist/src/main/dist/conf/model-types}).
 */
final class Decoders implements AutoCloseable {
    private static final Path MODEL_TYPES = Path.of("../../dist/src/main/dist/conf/model-types");

    final ComponentRegistry registry = new ComponentRegistry();
    final ModelRepository models;
    final PipelineEngine engine;

    Decoders(Path repository) {
        registry.register(ComponentKind.STAGE, new LlmStageFactory(), "test");
        registry.register(ComponentKind.ROUTER, new TopKRouterFactory(), "test");
        registry.register(ComponentKind.ROUTER, new InstanceRouterFactory(), "test");
        registry.register(ComponentKind.EXPERTS, new SwigluExpertBankFactory(), "test");
        registry.register(ComponentKind.EXPERTS, new BlasSwigluExpertBankFactory(), "test");
        registry.register(ComponentKind.EXPERTS, new LoraExpertBankFactory(), "test");
        registry.register(ComponentKind.EXPERTS, new MergedLoraExpertBankFactory(), "test");
        // octavius-chat.yaml's image branch
        registry.register(ComponentKind.STAGE, new OctaviusImagePreprocessStageFactory(), "test");
        registry.register(ComponentKind.STAGE, new ClipMoeStageFactory(), "test");
        registry.register(ComponentKind.STAGE, new LlamaProjStageFactory(), "test");
        models = new ModelRepository(repository);
        engine = new PipelineEngine(registry, ref -> models.openDirectory(Path.of(ref)), Device.cpu(),
                new EngineOptions(Duration.ofSeconds(30), Duration.ofMillis(20), Duration.ofMillis(300)));
    }

    /** Returns the default pipeline of the model in {@code dir}, named {@code name}, its decoder's config overlaid. */
    static PipelineDefinition defaultPipeline(Path dir, String name, Map<String, Object> decoderConfig) {
        String type = modelType(dir);
        String template;
        try {
            template = Files.readString(MODEL_TYPES.resolve(type + ".yaml"));
        } catch (IOException e) {
            throw new UncheckedIOException("no default pipeline for model_type " + type, e);
        }
        PipelineDefinition def = new PipelineYaml().parse(template, type + ".yaml",
                Map.of("pipeline", name, "model", dir.toAbsolutePath().toString()));
        if (decoderConfig.isEmpty()) {
            return def;
        }
        StageDefinition s = def.stage("decoder");
        Map<String, Object> config = new LinkedHashMap<>(s.config());
        config.putAll(decoderConfig);
        return def.withStage(new StageDefinition(s.name(), s.kind(), s.model(), s.router(), s.experts(), s.inputs(),
                config));
    }

    /** Deploys the default pipeline of a model and waits until it serves. */
    void deploy(Path dir, String name, Map<String, Object> decoderConfig) {
        try {
            engine.deploy(defaultPipeline(dir, name, decoderConfig)).get();
        } catch (Exception e) {
            throw PipelineEngine.unwrap(e);
        }
    }

    /** Swaps the decoder's expert bank and waits until the new version serves. */
    void swapExperts(String pipeline, String experts) {
        try {
            engine.swap(pipeline, "decoder", null, experts).get();
        } catch (Exception e) {
            throw PipelineEngine.unwrap(e);
        }
    }

    private static String modelType(Path dir) {
        try {
            String json = Files.readString(dir.resolve("config.json"));
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("\"model_type\"\\s*:\\s*\"([^\"]+)\"")
                    .matcher(json);
            if (!m.find()) {
                throw new IllegalStateException(dir + ": config.json has no model_type");
            }
            return m.group(1);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        engine.close();
        models.close();
    }
}
