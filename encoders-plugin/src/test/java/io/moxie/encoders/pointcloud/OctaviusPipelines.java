package io.moxie.encoders.pointcloud;

import ai.djl.Device;
import io.moxie.encoders.pointcloud.decode.PointCloudDecodeFactory;
import io.moxie.encoders.pointcloud.detect.GeometricRoiFactory;
import io.moxie.encoders.pointcloud.pointbert.PointBertFactory;
import io.moxie.encoders.pointcloud.roi.RoiSamplerFactory;
import io.moxie.encoders.pointcloud.scene.SceneAggregatorFactory;
import io.moxie.kernel.model.ModelRepository;
import io.moxie.kernel.pipeline.EngineOptions;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.pipeline.PipelineDefinition;
import io.moxie.kernel.pipeline.PipelineEngine;
import io.moxie.kernel.pipeline.PipelineYaml;
import io.moxie.kernel.registry.ComponentKind;
import io.moxie.kernel.registry.ComponentRegistry;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A real pipeline engine with the point-cloud stage kinds registered in process, serving model directories with the
 * shipped {@code octavius-3d} default pipeline ({@code dist/.../conf/model-types/octavius-3d.yaml}), as
 * {@code moxie infer --local --model DIR} does.
 */
final class OctaviusPipelines implements AutoCloseable {
    /** The shipped template, read from the dist module so the tests exercise exactly what users get. */
    static final Path TEMPLATE = Path.of("..", "dist", "src", "main", "dist", "conf", "model-types", "octavius-3d.yaml");

    private final ComponentRegistry registry = new ComponentRegistry();
    private final ModelRepository models;
    private final PipelineEngine engine;

    OctaviusPipelines() {
        registry.register(ComponentKind.STAGE, new PointCloudDecodeFactory(), "test");
        registry.register(ComponentKind.STAGE, new GeometricRoiFactory(), "test");
        registry.register(ComponentKind.STAGE, new RoiSamplerFactory(), "test");
        registry.register(ComponentKind.STAGE, new PointBertFactory(), "test");
        registry.register(ComponentKind.STAGE, new SceneAggregatorFactory(), "test");
        models = new ModelRepository(Path.of("target", "no-repository"));
        engine = new PipelineEngine(registry, ref -> models.openDirectory(Path.of(ref)), Device.cpu(),
                new EngineOptions(Duration.ofSeconds(10), Duration.ofMillis(20), Duration.ofMillis(300)));
    }

    /** Returns a golden case directory of the test resources, e.g. {@code 3d-tiny}. */
    static Path goldenCase(String name) {
        try {
            return Path.of(OctaviusPipelines.class.getResource("/golden/octavius/" + name).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Parses the template for a model directory, named {@code pipeline}. */
    static PipelineDefinition definition(Path modelDir, String pipeline) {
        try {
            return new PipelineYaml().parse(Files.readString(TEMPLATE), TEMPLATE.toString(),
                    Map.of("pipeline", pipeline, "model", modelDir.toAbsolutePath().toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deploys the default pipeline of a model directory under the directory's name and waits until it serves. */
    String deploy(Path modelDir) {
        String name = modelDir.getFileName().toString();
        deploy(definition(modelDir, name));
        return name;
    }

    /** Deploys a definition and waits until it serves. */
    void deploy(PipelineDefinition definition) {
        try {
            engine.deploy(definition).get();
        } catch (Exception e) {
            throw PipelineEngine.unwrap(e);
        }
    }

    Map<String, HostTensor> infer(String pipeline, Map<String, HostTensor> inputs) {
        return engine.infer(pipeline, InferenceRequest.of(inputs)).outputs();
    }

    PipelineEngine engine() {
        return engine;
    }

    ComponentRegistry registry() {
        return registry;
    }

    @Override
    public void close() {
        engine.close();
        models.close();
    }
}
