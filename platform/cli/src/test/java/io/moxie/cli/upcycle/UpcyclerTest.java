package io.moxie.cli.upcycle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.moxie.api.InvalidInputException;
import io.moxie.kernel.io.SafetensorsFile;
import io.moxie.kernel.io.SafetensorsWriter;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link Upcycler} against the reference's {@code upcycle} outputs recorded in {@code expected.json}. */
class UpcyclerTest {
    private static final Map<String, String> PT = Map.of("format", "pt");

    @TempDir
    Path tmp;

    static Stream<Arguments> variants() throws IOException {
        List<Arguments> out = new ArrayList<>();
        for (JsonElement v : Fixtures.expected().getAsJsonArray("variants")) {
            out.add(Arguments.of(v.getAsJsonObject().get("name").getAsString(), v.getAsJsonObject()));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("variants")
    void upcycledCheckpointIsByteIdenticalToTheReference(String name, JsonObject variant) throws IOException {
        Path input = Fixtures.input(variant.get("input").getAsString(), tmp);
        Path output = tmp.resolve(name + ".safetensors");
        try (SafetensorsFile dense = SafetensorsFile.open(input)) {
            Map<String, HostTensor> moe = Upcycler.upcycle(dense, variant.get("experts").getAsInt(),
                    GateInit.parse(variant.get("gate_init").getAsString()), variant.get("seed").getAsLong());
            SafetensorsWriter.write(output, moe, PT);
        }
        // gates first, for a failure that names the gate; then the whole file
        try (SafetensorsFile expected = SafetensorsFile.open(Fixtures.path("gates.safetensors"));
                SafetensorsFile got = SafetensorsFile.open(output)) {
            int gates = 0;
            for (String key : expected.keys()) {
                if (key.startsWith(name + "|")) {
                    String gate = key.substring(name.length() + 1);
                    assertEquals(expected.storedType(key), got.storedType(gate), gate);
                    assertArrayEquals(expected.read(key).toByteArray(), got.read(gate).toByteArray(), gate);
                    gates++;
                }
            }
            assertTrue(gates > 0, "no reference gates for " + name);
        }
        assertEquals(variant.get("bytes").getAsLong(), java.nio.file.Files.size(output), "file size");
        assertEquals(variant.get("sha256").getAsString(), Fixtures.sha256(output), "file bytes (SHA-256)");
    }

    @Test
    void theGoldenCaseIsReproduced() throws IOException {
        Path output = tmp.resolve("model.safetensors");
        try (SafetensorsFile dense = SafetensorsFile.open(Fixtures.path("dense-f32.safetensors"))) {
            SafetensorsWriter.write(output, Upcycler.upcycle(dense, 4, new GateInit.Uniform(), 0), PT);
        }
        assertEquals(Fixtures.expected().get("golden_model_sha256").getAsString(), Fixtures.sha256(output));
    }

    @Test
    void everyExpertTensorEqualsItsDenseSource() {
        int experts = 3;
        try (SafetensorsFile dense = SafetensorsFile.open(Fixtures.path("dense-f32.safetensors"))) {
            Map<String, HostTensor> moe = Upcycler.upcycle(dense, experts, new GateInit.Normal(0.02), 7);
            Set<String> expectedKeys = new HashSet<>();
            for (String key : dense.keys()) {
                String source = null;
                List<String> targets = new ArrayList<>();
                int mlp = key.indexOf(".mlp.");
                if (mlp >= 0) {
                    for (int e = 0; e < experts; e++) {
                        targets.add(key.substring(0, mlp) + ".experts." + e + "." + key.substring(mlp + 5));
                    }
                    source = key;
                } else if (key.startsWith(Upcycler.PROJECTOR)) {
                    for (int e = 0; e < experts; e++) {
                        targets.add(Upcycler.PROJECTOR + "experts." + e + "."
                                + key.substring(Upcycler.PROJECTOR.length()));
                    }
                    source = key;
                } else {
                    targets.add(key);
                    source = key;
                }
                byte[] want = dense.read(source).toByteArray();
                for (String t : targets) {
                    assertTrue(moe.containsKey(t), "missing " + t);
                    assertEquals(dense.storedType(source), moe.get(t).dataType(), t);
                    assertArrayEquals(dense.shape(source).getShape(), moe.get(t).shape(), t);
                    assertArrayEquals(want, moe.get(t).toByteArray(), t + " differs from " + source);
                }
                expectedKeys.addAll(targets);
                if (key.endsWith(".mlp.fc1.weight")) {
                    String gate = key.substring(0, mlp) + ".gate.weight";
                    expectedKeys.add(gate);
                    assertArrayEquals(new long[] {experts, 48}, moe.get(gate).shape(), gate);
                }
            }
            expectedKeys.add(Upcycler.PROJECTOR + "gate.weight");
            assertArrayEquals(new long[] {experts, 96}, moe.get(Upcycler.PROJECTOR + "gate.weight").shape());
            assertEquals(expectedKeys, moe.keySet(), "exactly the experts, gates and kept tensors");
        }
    }

    @Test
    void aCheckpointThatIsNotDenseIsRefused() throws IOException {
        Path moe = tmp.resolve("moe.safetensors");
        try (SafetensorsFile dense = SafetensorsFile.open(Fixtures.path("tiny-dense.safetensors"))) {
            SafetensorsWriter.write(moe, Upcycler.upcycle(dense, 2, new GateInit.Zeros(), 0), PT);
        }
        try (SafetensorsFile again = SafetensorsFile.open(moe)) {
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> Upcycler.upcycle(again, 2, new GateInit.Uniform(), 0));
            assertTrue(e.getMessage().contains("not a dense CuMo checkpoint"), e.getMessage());
            assertTrue(e.getMessage().contains("already has experts"), e.getMessage());
        }
    }

    @Test
    void gateInitSpellingsAreParsedOrRefused() {
        assertEquals(new GateInit.Uniform(), GateInit.parse("uniform"));
        assertEquals(new GateInit.Zeros(), GateInit.parse("zeros"));
        assertEquals(new GateInit.Normal(0.02), GateInit.parse("normal:0.02"));
        assertEquals(new GateInit.Normal(0.01), GateInit.parse("normal:1e-2"));
        for (String bad : new String[] {"normal", "normal:", "normal:abc", "normal:nan", "normal:inf", "xavier", ""}) {
            assertThrows(IllegalArgumentException.class, () -> GateInit.parse(bad), bad);
        }
    }
}
