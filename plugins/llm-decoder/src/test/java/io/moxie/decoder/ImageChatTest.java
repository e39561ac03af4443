package io.moxie.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.moxie.api.InvalidInputException;
import io.moxie.api.MoxieException;
import io.moxie.api.ParameterStore;
import io.moxie.kernel.io.SafetensorsWriter;
import io.moxie.kernel.model.ModelRepository;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Octavius' image chat through the distribution's {@code octavius-chat} pipeline (README-octavius2d §6): a JPEG
 * through preprocessing, the dense CLIP tower and {@code llama_proj} into the decoder's {@code vision_tokens}, then
 * LoRA-MoE generation under the instance gate. The same pipeline still takes {@code vision_tokens} directly.
 */
class ImageChatTest {
    private static final String PIPELINE = "image-chat";

    @TempDir
    static Path scratch;
    private static Decoders decoders;
    private static GoldenCase chat;

    @BeforeAll
    static void start() {
        decoders = new Decoders(Path.of("target"));
        chat = GoldenCase.load("2d-chat-tiny");
        decoders.deploy(chat.dir(), PIPELINE, Map.of());
    }

    @AfterAll
    static void stop() {
        decoders.close();
    }

    private static Map<String, HostTensor> infer(String pipeline, Map<String, HostTensor> inputs) {
        return decoders.engine.infer(pipeline, InferenceRequest.of(inputs)).outputs();
    }

    @Test
    void imageChatMatchesTheGoldenCaseWithTheKvCacheWhenRecomputingAndWithMergedLora() {
        System.out.println(chat.check(infer(PIPELINE, chat.inputs()), "kv cache"));
        decoders.deploy(chat.dir(), PIPELINE + "-recompute", Map.of("kv_cache", false));
        System.out.println(chat.check(infer(PIPELINE + "-recompute", chat.inputs()), "recompute"));
        decoders.deploy(chat.dir(), PIPELINE + "-merged", Map.of());
        decoders.swapExperts(PIPELINE + "-merged", "lora-merged");
        System.out.println(chat.check(infer(PIPELINE + "-merged", chat.inputs()), "lora-merged after swap"));
    }

    @Test
    void givingTheImageTokensAsVisionTokensGeneratesTheSameAnswer() {
        HostTensor tokens = chat.expected().get("image_tokens");
        long[] shape = tokens.shape();
        Map<String, HostTensor> in = with("image", null);
        in.put("vision_tokens", new HostTensor(tokens.dataType(), new long[] {shape[1], shape[2]}, tokens.data()));
        Map<String, HostTensor> out = infer(PIPELINE, in);
        assertArrayEquals(chat.expected().get("generated_ids").toLongArray(), out.get("generated_ids").toLongArray());
        assertTrue(!out.containsKey("image_tokens") && !out.containsKey("pixel_values"), out.keySet().toString());
    }

    @Test
    void imageWithAPromptWithoutThePlaceholderIsRefusedAndTheChatKeepsServing() {
        long[] ids = chat.inputs().get("input_ids").toLongArray();
        long[] without = java.util.Arrays.stream(ids).filter(id -> id != -200).toArray();
        assertRefused(PIPELINE, with("input_ids", HostTensor.ofLongs(without, without.length)), "placeholder");
        assertRefused(PIPELINE, with("vision_tokens", HostTensor.ofFloats(new float[12 * 64], 12, 64)), "not both");
        assertRefused(PIPELINE, with("image", HostTensor.ofBytes("not an image".getBytes())), "PNG or JPEG");
        chat.check(infer(PIPELINE, chat.inputs()), "after refused requests");
    }

    @Test
    void imageForAChatModelWithoutAVisionTowerIsRefusedNamingWhatIsMissing() {
        GoldenCase textOnly = GoldenCase.load("chat-octavius-tiny");
        decoders.deploy(textOnly.dir(), "no-tower", Map.of());
        Map<String, HostTensor> in = new HashMap<>(textOnly.inputs());
        in.put("image", chat.inputs().get("image"));
        in.remove("vision_tokens");
        assertRefused("no-tower", in, "'image'", "vision_config");
        textOnly.check(infer("no-tower", textOnly.inputs()), "vision tokens on a model without a tower");
    }

    @Test
    void projectionNarrowerThanTheDecoderIsRefusedAtLoad() throws IOException {
        Path model = Files.createDirectories(scratch.resolve("narrow-projection"));
        Files.writeString(model.resolve("config.json"), Files.readString(chat.dir().resolve("config.json"))
                .replace("\"llm_hidden_size\": 64", "\"llm_hidden_size\": 32"));
        try (ModelRepository repository = new ModelRepository(scratch);
             NDManager manager = NDManager.newBaseManager()) {
            ParameterStore params = repository.openDirectory(chat.dir()).parameters();
            Map<String, HostTensor> tensors = new LinkedHashMap<>();
            for (String key : params.keys()) {
                tensors.put(key, HostTensor.copyOf(key.startsWith("llama_proj.")
                        ? params.load(key, manager).get("0:32") : params.load(key, manager)));
            }
            SafetensorsWriter.write(model.resolve("model.safetensors"), tensors);
        }
        MoxieException e = assertThrows(MoxieException.class, () -> decoders.deploy(model, "narrow", Map.of()));
        assertTrue(e.getMessage().contains("stage 'decoder'") && e.getMessage().contains("vision_tokens")
                && e.getMessage().contains("32") && e.getMessage().contains("64"), e.getMessage());
    }

    private static Map<String, HostTensor> with(String key, HostTensor value) {
        Map<String, HostTensor> in = new HashMap<>(chat.inputs());
        if (value == null) {
            in.remove(key);
        } else {
            in.put(key, value);
        }
        return in;
    }

    private static void assertRefused(String pipeline, Map<String, HostTensor> inputs, String... fragments) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> infer(pipeline, inputs));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should mention '" + f + "'");
        }
    }
}
