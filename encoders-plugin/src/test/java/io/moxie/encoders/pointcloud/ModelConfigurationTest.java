package io.moxie.encoders.pointcloud;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A model whose config.json and weights disagree, or whose config is invalid, fails to deploy naming the problem. */
class ModelConfigurationTest {
    private OctaviusPipelines pipelines;
    @TempDir
    Path dir;

    @BeforeEach
    void start() {
        pipelines = new OctaviusPipelines();
    }

    @AfterEach
    void stop() {
        pipelines.close();
    }

    @Test
    void weightsOfTheWrongShapeAreNamedWithBothShapes() throws IOException {
        Path model = tinyWith("\"encoder_dims\": 32", "\"encoder_dims\": 40");
        RuntimeException e = assertThrows(RuntimeException.class, () -> pipelines.deploy(model));
        assertTrue(e.getMessage().contains("stage 'encoder'") && e.getMessage().contains(
                "tensor 'point_encoder.encoder.second_conv.3.weight' has shape (32, 40, 1), expected (40, 40, 1)"),
                e.getMessage());
    }

    @Test
    void anInvalidConfigurationIsNamed() throws IOException {
        Path model = tinyWith("\"num_heads\": 2", "\"num_heads\": 3");
        RuntimeException e = assertThrows(RuntimeException.class, () -> pipelines.deploy(model));
        assertTrue(e.getMessage().contains("trans_dim 32 must be divisible by num_heads 3"), e.getMessage());
    }

    /** A copy of the 3d-tiny model with one setting of its config.json replaced. */
    private Path tinyWith(String setting, String replacement) throws IOException {
        Path source = OctaviusPipelines.goldenCase("3d-tiny");
        Path model = Files.createDirectories(dir.resolve("tiny-variant"));
        Files.copy(source.resolve("model.safetensors"), model.resolve("model.safetensors"));
        String config = Files.readString(source.resolve("config.json")).replaceAll("\\s+", " ");
        assertTrue(config.contains(setting), config);
        Files.writeString(model.resolve("config.json"), config.replace(setting, replacement));
        return model;
    }
}
