package io.moxie.encoders;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.moxie.api.MoxieException;
import io.moxie.api.ParameterStore;
import io.moxie.kernel.io.SafetensorsWriter;
import io.moxie.kernel.model.ModelRepository;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints other than a complete CuMo MoE one: dense (before co-upcycling), and broken. */
class CheckpointVariantsTest {
    @TempDir
    Path scratch;

    @Test
    void denseCheckpointLoadsAndGivesTheUpcycledModelsFeaturesWithoutRouting() throws IOException {
        // co-upcycling copies the dense MLPs into every expert, so the dense model has the MoE model's outputs
        GoldenCase golden = GoldenCase.load("upcycled-cls-last");
        String config = Files.readString(golden.dir().resolve("config.json"));
        Map<String, String> variants = Map.of(
                "dense-no-gates", config,
                "dense-by-config", config.replace("\"clip_smoe\": true", "\"clip_smoe\": false")
                        .replace("\"mlp_smoe\": true", "\"mlp_smoe\": false"));
        Set<String> keys = Set.of("vision_features", "projected");
        try (TestEngine engine = new TestEngine(scratch)) {
            for (Map.Entry<String, String> variant : variants.entrySet()) {
                Path model = Files.createDirectories(scratch.resolve(variant.getKey()));
                Files.writeString(model.resolve("config.json"), variant.getValue());
                Files.copy(golden.dir().resolve("dense.safetensors"), model.resolve("model.safetensors"));
                engine.deploy(CumoVisionPipeline.forModel(variant.getKey(), model, "grouped-mlp"));
                Map<String, HostTensor> out = engine.infer(variant.getKey(), golden.inputs());
                Map<String, Double> errors = golden.check(out, variant.getKey(), keys);
                System.out.printf("golden upcycled-cls-last as %-16s max abs error: vision_features %.2e, projected %.2e%n",
                        variant.getKey(), errors.get("vision_features"), errors.get("projected"));
            }
        }
    }

    @Test
    void checkpointMissingAnExpertTensorFailsDeployNamingTheKey() throws IOException {
        GoldenCase golden = GoldenCase.load("tiny-noS2");
        String missing = "model.vision_tower.vision_model.encoder.layers.1.experts.2.fc2.bias";
        Path model = Files.createDirectories(scratch.resolve("missing-expert"));
        Files.copy(golden.dir().resolve("config.json"), model.resolve("config.json"));
        try (ModelRepository repository = new ModelRepository(scratch); NDManager manager = NDManager.newBaseManager()) {
            ParameterStore source = repository.openDirectory(golden.dir()).parameters();
            Map<String, HostTensor> kept = new LinkedHashMap<>();
            for (String key : source.keys()) {
                if (!key.equals(missing)) {
                    kept.put(key, HostTensor.copyOf(source.load(key, manager)));
                }
            }
            SafetensorsWriter.write(model.resolve("model.safetensors"), kept);
        }
        try (TestEngine engine = new TestEngine(scratch)) {
            MoxieException e = assertThrows(MoxieException.class, () -> engine.deploy(
                    CumoVisionPipeline.forModel("missing-expert", model, "mlp")));
            assertTrue(e.getMessage().contains(missing) && e.getMessage().contains("stage 'tower'"), e.getMessage());
            assertEquals(0, engine.liveArrays(), "the failed build freed what it had loaded");
        }
    }

    @Test
    void requestsLeaveNothingBehindInTheEngine() {
        GoldenCase golden = GoldenCase.load("tiny-S2");
        try (TestEngine engine = new TestEngine(scratch)) {
            engine.deploy(CumoVisionPipeline.forModel("leaks", golden.dir(), "grouped-mlp"));
            engine.infer("leaks", golden.inputs());
            int weights = engine.liveArrays();
            for (int i = 0; i < 3; i++) {
                engine.infer("leaks", golden.inputs());
            }
            assertEquals(weights, engine.liveArrays());
        }
    }
}
