package io.moxie.cli.upcycle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.moxie.cli.Moxie;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code moxie upcycle} through {@link Moxie#execute}: outputs, config.json and exit codes. */
class UpcycleCommandTest {
    @TempDir
    Path tmp;

    /** What one run printed and returned. */
    private record Run(int code, String out, String err) {}

    private static Run moxie(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Moxie.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    private Path denseModelDir(Map<String, Object> configChanges) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("dense"));
        Files.copy(Fixtures.path("dense-f32.safetensors"), dir.resolve("model.safetensors"));
        JsonObject config = JsonParser.parseString(Files.readString(Fixtures.path("dense-config.json")))
                .getAsJsonObject();
        configChanges.forEach((k, v) -> config.addProperty(k, (Number) v));
        Files.writeString(dir.resolve("config.json"), config.toString());
        return dir;
    }

    private static JsonObject readConfig(Path dir) throws IOException {
        return JsonParser.parseString(Files.readString(dir.resolve("config.json"), StandardCharsets.UTF_8))
                .getAsJsonObject();
    }

    @Test
    void upcyclingAModelDirectoryWritesTheReferenceCheckpointAndAnMoeConfig() throws IOException {
        Path dense = denseModelDir(Map.of());
        Path out = tmp.resolve("moe");
        Run run = moxie("upcycle", "--model", dense.toString(), "--experts", "4", "--out", out.toString());
        assertEquals(0, run.code(), run.err());
        assertEquals(Fixtures.expected().get("golden_model_sha256").getAsString(),
                Fixtures.sha256(out.resolve("model.safetensors")));

        JsonObject before = readConfig(dense);
        JsonObject after = readConfig(out);
        assertEquals(4, after.get("num_experts").getAsInt());
        assertEquals(MoeConfig.DEFAULT_TOP_K, after.get("num_experts_per_tok").getAsInt());
        assertTrue(after.get("clip_smoe").getAsBoolean());
        assertTrue(after.get("mlp_smoe").getAsBoolean());
        assertEquals("smoe_mlp", after.get("mm_projector_type").getAsString());
        List<String> changed = List.of("num_experts", "num_experts_per_tok", "clip_smoe", "mlp_smoe",
                "mm_projector_type");
        List<String> keptOrder = new ArrayList<>();
        for (String key : before.keySet()) {
            if (!changed.contains(key)) {
                assertEquals(before.get(key), after.get(key), key);
                keptOrder.add(key);
            }
        }
        List<String> afterOrder = new ArrayList<>(after.keySet());
        afterOrder.removeAll(changed);
        assertEquals(keptOrder, afterOrder, "other keys keep their order");
    }

    @Test
    void topKComesFromTheDenseConfigUnlessGiven() throws IOException {
        Path dense = denseModelDir(Map.of("num_experts_per_tok", 1));
        Path kept = tmp.resolve("kept");
        assertEquals(0, moxie("upcycle", "--model", dense.toString(), "--experts", "3", "--out", kept.toString(),
                "--gate-init", "zeros").code());
        assertEquals(1, readConfig(kept).get("num_experts_per_tok").getAsInt());

        Path given = tmp.resolve("given");
        assertEquals(0, moxie("upcycle", "--model", dense.toString(), "--experts", "3", "--out", given.toString(),
                "--top-k", "3").code());
        assertEquals(3, readConfig(given).get("num_experts_per_tok").getAsInt());

        Run tooMany = moxie("upcycle", "--model", dense.toString(), "--experts", "2", "--out",
                tmp.resolve("bad").toString(), "--top-k", "3");
        assertEquals(2, tooMany.code());
        assertFalse(Files.exists(tmp.resolve("bad")), "nothing created on a bad k");
    }

    @Test
    void aSafetensorsFileInputGivesTheCheckpointOnly() throws IOException {
        Path out = tmp.resolve("from-file");
        Run run = moxie("upcycle", "--model", Fixtures.path("dense-bf16.safetensors").toString(), "--experts", "8",
                "--out", out.toString(), "--gate-init", "normal:0.02", "--seed", "0");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("model.safetensors"), run.out());
        assertEquals(variantSha256("bf16-normal-e8-s0"), Fixtures.sha256(out.resolve("model.safetensors")));
        assertFalse(Files.exists(out.resolve("config.json")));
    }

    @Test
    void aNegativeSeedIsTakenAsTorchTakesIt() throws IOException {
        Path out = tmp.resolve("negative");
        Run run = moxie("upcycle", "--model", Fixtures.path("dense-f16.safetensors").toString(), "--experts", "2",
                "--out", out.toString(), "--seed", "-1");
        assertEquals(0, run.code(), run.err());
        assertEquals(variantSha256("f16-uniform-e2-negseed"), Fixtures.sha256(out.resolve("model.safetensors")));
    }

    private static String variantSha256(String name) throws IOException {
        return Fixtures.expected().getAsJsonArray("variants").asList().stream()
                .map(v -> v.getAsJsonObject())
                .filter(v -> v.get("name").getAsString().equals(name))
                .findFirst().orElseThrow().get("sha256").getAsString();
    }

    @Test
    void usageErrorsExitWith2AndOneLine() throws IOException {
        Path dense = denseModelDir(Map.of());
        String out = tmp.resolve("o").toString();
        Path junk = Files.writeString(tmp.resolve("junk.safetensors"), "not a checkpoint");
        List<String[]> bad = List.of(
                new String[] {"upcycle", "--model", tmp.resolve("missing").toString(), "--experts", "4", "--out", out},
                new String[] {"upcycle", "--model", dense.toString(), "--experts", "0", "--out", out},
                new String[] {"upcycle", "--model", dense.toString(), "--experts", "4", "--out", out,
                    "--gate-init", "normal:abc"},
                new String[] {"upcycle", "--model", dense.toString(), "--experts", "4", "--out", dense.toString()},
                new String[] {"upcycle", "--model", tmp.toString(), "--experts", "4", "--out", out},
                new String[] {"upcycle", "--model", junk.toString(), "--experts", "4", "--out", out},
                new String[] {"upcycle", "--model", dense.toString(), "--out", out});
        for (String[] args : bad) {
            Run run = moxie(args);
            assertEquals(2, run.code(), String.join(" ", args) + ": " + run.err());
            assertEquals(1, run.err().strip().lines().count(), run.err());
            assertTrue(run.err().startsWith("moxie: "), run.err());
        }
        assertEquals(Fixtures.sha256(Fixtures.path("dense-f32.safetensors")),
                Fixtures.sha256(dense.resolve("model.safetensors")), "the dense model is untouched");
        assertFalse(Files.exists(Path.of(out)), "nothing created");
    }

    @Test
    void aCheckpointThatIsNotDenseExitsWith2() throws IOException {
        Path first = tmp.resolve("first");
        assertEquals(0, moxie("upcycle", "--model", Fixtures.path("tiny-dense.safetensors").toString(),
                "--experts", "2", "--out", first.toString()).code());
        Run again = moxie("upcycle", "--model", first.toString(), "--experts", "2", "--out",
                tmp.resolve("second").toString());
        assertEquals(2, again.code(), again.err());
        assertTrue(again.err().contains("not a dense CuMo checkpoint"), again.err());
        assertFalse(Files.exists(tmp.resolve("second")), "nothing created");
    }
}
