package io.moxie.kernel.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ModelFormatException;
import io.moxie.kernel.io.SafetensorsWriter;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelRepositoryTest {
    @TempDir
    Path root;

    private Path model(String name, String config) throws IOException {
        Path dir = Files.createDirectories(root.resolve(name));
        Files.writeString(dir.resolve("config.json"), config);
        return dir;
    }

    private static Map<String, HostTensor> tensors(String... keys) {
        Map<String, HostTensor> m = new LinkedHashMap<>();
        for (int i = 0; i < keys.length; i++) {
            m.put(keys[i], HostTensor.ofFloats(new float[] {i, i + 0.5f}, 2));
        }
        return m;
    }

    @Test
    void servesTensorsByCheckpointKeyAndConfigFields() throws Exception {
        Path dir = model("m", "{\"model_type\": \"demo\", \"hidden_size\": 48}");
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors("a.weight", "b.bias"));
        try (ModelRepository repo = new ModelRepository(root); NDManager m = NDManager.newBaseManager()) {
            assertEquals(List.of("m"), repo.list());
            Model model = repo.open("m");
            assertEquals("demo", model.modelType());
            assertEquals(48, model.config().getInt("hidden_size"));
            assertEquals(new Shape(2), model.parameters().shape("b.bias"));
            assertArrayEquals(new float[] {1, 1.5f}, model.parameters().load("b.bias", m).toFloatArray());
            assertEquals(16, model.parameterBytes());
            var e = assertThrows(ModelFormatException.class, () -> model.parameters().load("c", m));
            assertTrue(e.getMessage().contains("'c'"), e.getMessage());
            var shape = assertThrows(ModelFormatException.class, () -> model.parameters().load("a.weight", new Shape(3), m));
            assertTrue(shape.getMessage().contains("'a.weight'") && shape.getMessage().contains("(3)"), shape.getMessage());
        }
    }

    @Test
    void shardedCheckpointIsReadThroughItsIndex() throws Exception {
        Path dir = model("sharded", "{}");
        SafetensorsWriter.write(dir.resolve("model-00001-of-00002.safetensors"), tensors("a"));
        SafetensorsWriter.write(dir.resolve("model-00002-of-00002.safetensors"), tensors("x", "b"));
        Files.writeString(dir.resolve("model.safetensors.index.json"), """
                {"metadata": {}, "weight_map": {"a": "model-00001-of-00002.safetensors",
                 "b": "model-00002-of-00002.safetensors"}}""");
        try (ModelRepository repo = new ModelRepository(root); NDManager m = NDManager.newBaseManager()) {
            Model model = repo.open("sharded");
            assertEquals(java.util.Set.of("a", "b"), model.parameters().keys());
            assertArrayEquals(new float[] {1, 1.5f}, model.parameters().load("b", m).toFloatArray());
        }
    }

    @Test
    void indexPointingAtAMissingFileIsRefusedNamingIt() throws Exception {
        Path dir = model("bad-index", "{}");
        SafetensorsWriter.write(dir.resolve("one.safetensors"), tensors("a"));
        Files.writeString(dir.resolve("model.safetensors.index.json"), "{\"weight_map\": {\"a\": \"two.safetensors\"}}");
        try (ModelRepository repo = new ModelRepository(root)) {
            var e = assertThrows(ModelFormatException.class, () -> repo.open("bad-index"));
            assertTrue(e.getMessage().contains("two.safetensors"), e.getMessage());
        }
    }

    @Test
    void aKeyInTwoFilesIsRefused() throws Exception {
        Path dir = model("dup", "{}");
        SafetensorsWriter.write(dir.resolve("a.safetensors"), tensors("w"));
        SafetensorsWriter.write(dir.resolve("b.safetensors"), tensors("w"));
        try (ModelRepository repo = new ModelRepository(root)) {
            var e = assertThrows(ModelFormatException.class, () -> repo.open("dup"));
            assertTrue(e.getMessage().contains("'w'"), e.getMessage());
        }
    }

    @Test
    void missingOrBrokenConfigIsRefused() throws Exception {
        Path dir = Files.createDirectories(root.resolve("noconf"));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors("w"));
        model("badjson", "{not json");
        try (ModelRepository repo = new ModelRepository(root)) {
            assertTrue(assertThrows(ModelFormatException.class, () -> repo.open("noconf")).getMessage().contains("config.json"));
            assertTrue(assertThrows(ModelFormatException.class, () -> repo.open("badjson")).getMessage().contains("not valid JSON"));
            assertTrue(assertThrows(ModelFormatException.class, () -> repo.open("../etc")).getMessage().contains("invalid model name"));
        }
    }
}
