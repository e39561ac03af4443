package io.moxie.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.HashMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Text in and out through DJL's Hugging Face tokenizers when the model directory has a {@code tokenizer.json}: the
 * golden Llama case with a word-level tokenizer over its vocabulary ({@code w3} .. {@code w255}, see the resource's
 * README) gives the golden ids from the equivalent text, and its text back.
 */
class TextTest {
    private static Decoders decoders;
    private static GoldenCase llama;

    @BeforeAll
    static void start() throws IOException, URISyntaxException {
        llama = GoldenCase.load("llm-llama-tiny");
        Path dir = Files.createDirectories(Path.of("target", "text-models", "llama-text"));
        try (Stream<Path> files = Files.list(llama.dir())) {
            for (Path f : files.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.copy(Path.of(TextTest.class.getResource("/tokenizer/wordlevel-256.json").toURI()),
                dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
        decoders = new Decoders(Path.of("target"));
        decoders.deploy(dir, "llama-text", Map.of());
    }

    @AfterAll
    static void stop() {
        decoders.close();
    }

    private static String words(long[] ids) {
        StringJoiner text = new StringJoiner(" ");
        for (long id : ids) {
            text.add(id == Prompt.IMAGE_PLACEHOLDER ? TextCodec.IMAGE_MARKER : "w" + id);
        }
        return text.toString();
    }

    @Test
    void aTextPromptWithAnImageMarkerGivesTheGoldenIdsAndText() {
        long[] ids = llama.inputs().get("input_ids").toLongArray();
        // the tokenizer adds <s> (id 1) itself, as input_ids[0] holds it
        String prompt = words(Arrays.copyOfRange(ids, 1, ids.length));
        Map<String, HostTensor> in = new HashMap<>();
        in.put("prompt", HostTensor.ofBytes(prompt.getBytes(StandardCharsets.UTF_8)));
        in.put("vision_tokens", llama.inputs().get("vision_tokens"));
        Map<String, HostTensor> out = decoders.engine.infer("llama-text", new InferenceRequest(in, Map.of(), false))
                .outputs();
        long[] expected = llama.expected().get("generated_ids").toLongArray();
        assertArrayEquals(expected, out.get("generated_ids").toLongArray());
        assertEquals(words(expected), new String(out.get("generated_text").toByteArray(), StandardCharsets.UTF_8));
        assertEquals(llama.expected().get("prompt_len").toLongArray()[0], out.get("prompt_len").toLongArray()[0]);
    }

    @Test
    void idsStillWorkAndAlsoGetText() {
        Map<String, HostTensor> out = decoders.engine.infer("llama-text", InferenceRequest.of(llama.inputs()))
                .outputs();
        assertEquals(words(llama.expected().get("generated_ids").toLongArray()),
                new String(out.get("generated_text").toByteArray(), StandardCharsets.UTF_8));
    }

    @Test
    void streamedTokensAndTextEqualTheFinalAnswer() {
        List<Long> streamedIds = new ArrayList<>();
        StringBuilder streamedText = new StringBuilder();
        InferenceRequest request = InferenceRequest.of(llama.inputs()).withTokenListener((ids, text) -> {
            for (long id : ids) {
                streamedIds.add(id);
            }
            streamedText.append(text);
        });
        Map<String, HostTensor> out = decoders.engine.infer("llama-text", request).outputs();
        long[] finalIds = out.get("generated_ids").toLongArray();
        assertArrayEquals(finalIds, streamedIds.stream().mapToLong(Long::longValue).toArray());
        assertEquals(new String(out.get("generated_text").toByteArray(), StandardCharsets.UTF_8), streamedText.toString());
    }
}
