package io.moxie.encoders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import io.moxie.api.InvalidInputException;
import io.moxie.api.MoxieException;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests and checkpoints the {@code octavius-2d} pipeline must refuse: bad requests with
 * {@link InvalidInputException} (INVALID_ARGUMENT, CLI exit 2) while the pipeline keeps serving; bad checkpoints at
 * deploy, naming the key.
 */
class Octavius2dBadInputTest {
    private static final String PIPELINE = "octavius-2d-bad-input";

    @TempDir
    static Path scratch;
    private static TestEngine engine;
    private static GoldenCase golden;

    @BeforeAll
    static void start() {
        engine = new TestEngine(scratch);
        golden = GoldenCase.load("octavius", "2d-image-openai");
        engine.deploy(Octavius2dPipeline.forModel(PIPELINE, golden.dir()));
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    @Test
    void bytesThatAreNotAnImageAreRefusedAndThePipelineKeepsServing() throws Exception {
        assertRefused(Map.of("image", HostTensor.ofBytes(resource("/image/bad/text.txt"))), "PNG or JPEG");
        assertServes();
    }

    @Test
    void truncatedImagesAreRefusedAndThePipelineKeepsServing() throws Exception {
        assertRefused(Map.of("image", HostTensor.ofBytes(resource("/image/bad/truncated.png"))), "");
        assertRefused(Map.of("image", HostTensor.ofBytes(resource("/image/bad/truncated.jpg"))), "");
        assertServes();
    }

    @Test
    void pixelValuesOfTheWrongSizeAreRefusedNamingTheExpectedShape() {
        assertRefused(Map.of("pixel_values", HostTensor.ofFloats(new float[3 * 31 * 31], 1, 3, 31, 31)), "32");
        assertRefused(Map.of("image", golden.inputs().get("image"),
                "pixel_values", HostTensor.ofFloats(new float[3 * 32 * 32], 1, 3, 32, 32)), "not both");
        assertRefused(Map.of(), "missing input");
        assertServes();
    }

    @Test
    void checkpointWithBothLayoutsIsRefusedAtLoad() throws IOException {
        Path model = TowerLayouts.withBothLayouts(golden.dir(), scratch.resolve("both-layouts"));
        MoxieException e = assertThrows(MoxieException.class,
                () -> engine.deploy(Octavius2dPipeline.forModel("both-layouts", model)));
        assertTrue(e.getMessage().contains("stage 'tower'") && e.getMessage().contains("visual.*")
                && e.getMessage().contains("vision_model.*"), e.getMessage());
    }

    @Test
    void missingTowerTensorIsRefusedAtLoadNamingTheCheckpointKey() throws IOException {
        String key = "visual.transformer.resblocks.1.ln_2.bias";
        Path model = TowerLayouts.edited(golden.dir(), scratch.resolve("missing-key"), Map.of(key, a -> null));
        assertRefusedAtLoad(model, key);
    }

    @Test
    void misshapedTowerTensorIsRefusedAtLoadNamingTheCheckpointKey() throws IOException {
        String key = "visual.transformer.resblocks.2.attn.in_proj_weight";
        UnaryOperator<NDArray> drop = a -> a.get("0:-3");
        Path model = TowerLayouts.edited(golden.dir(), scratch.resolve("wrong-shape"), Map.of(key, drop));
        assertRefusedAtLoad(model, key);
    }

    @Test
    void projectionWidthOtherThanTheConfiguredLlmWidthIsRefusedAtLoad() throws IOException {
        Path model = TowerLayouts.edited(golden.dir(), scratch.resolve("narrow-projection"),
                Map.of("llama_proj.weight", a -> a.get("0:32"), "llama_proj.bias", a -> a.get("0:32")));
        MoxieException e = assertRefusedAtLoad(model, "llama_proj.weight");
        assertTrue(e.getMessage().contains("llm_hidden_size is 64"), e.getMessage());
    }

    private static MoxieException assertRefusedAtLoad(Path model, String key) {
        int before = engine.liveArrays();
        MoxieException e = assertThrows(MoxieException.class,
                () -> engine.deploy(Octavius2dPipeline.forModel(model.getFileName().toString(), model)));
        assertTrue(e.getMessage().contains("'" + key + "'"), e.getMessage());
        assertEquals(before, engine.liveArrays(), "the failed build freed what it had loaded");
        return e;
    }

    private static void assertRefused(Map<String, HostTensor> inputs, String message) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> engine.infer(PIPELINE, inputs));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    private static void assertServes() {
        golden.check(engine.infer(PIPELINE, golden.inputs()), "after a refused request");
    }

    private static byte[] resource(String name) throws IOException, URISyntaxException {
        return Files.readAllBytes(Path.of(Octavius2dBadInputTest.class.getResource(name).toURI()));
    }
}
