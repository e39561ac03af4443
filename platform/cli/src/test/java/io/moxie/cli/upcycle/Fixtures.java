package io.moxie.cli.upcycle;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.moxie.kernel.io.SafetensorsFile;
import io.moxie.kernel.io.SafetensorsWriter;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/** The fixtures of {@code src/test/resources/upcycle} (see {@code generate.py} there for how they were made). */
final class Fixtures {
    private Fixtures() {}

    static Path path(String name) {
        URL url = Fixtures.class.getResource("/upcycle/" + name);
        if (url == null) {
            throw new IllegalStateException("missing test resource upcycle/" + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonObject expected() throws IOException {
        return JsonParser.parseString(Files.readString(path("expected.json"), StandardCharsets.UTF_8))
                .getAsJsonObject();
    }

    /**
     * The input a variant names: a fixture file, or for {@code hf-f32} the F32 dense tower under HF CLIPVisionModel
     * names (no projector), written into {@code dir} as the generator built it.
     */
    static Path input(String name, Path dir) throws IOException {
        if (!name.equals("hf-f32")) {
            return path(name + ".safetensors");
        }
        Path hf = dir.resolve("hf-f32.safetensors");
        try (SafetensorsFile dense = SafetensorsFile.open(path("dense-f32.safetensors"))) {
            Map<String, HostTensor> renamed = new LinkedHashMap<>();
            for (String key : dense.keys()) {
                if (key.startsWith(Upcycler.TOWER)) {
                    renamed.put(key.substring("model.vision_tower.".length()), dense.read(key));
                }
            }
            SafetensorsWriter.write(hf, renamed);
        }
        return hf;
    }

    static String sha256(Path file) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
