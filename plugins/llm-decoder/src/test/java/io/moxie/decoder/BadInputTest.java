package io.moxie.decoder;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moxie.api.InvalidInputException;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.tensor.HostTensor;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Unusable requests fail with an {@link InvalidInputException} that says what is wrong, never with a crash. */
class BadInputTest {
    private static Decoders decoders;
    private static GoldenCase llama;
    private static GoldenCase chat;

    @BeforeAll
    static void start() {
        decoders = new Decoders(Path.of("target"));
        llama = GoldenCase.load("llm-llama-tiny");
        chat = GoldenCase.load("chat-octavius-tiny");
        decoders.deploy(llama.dir(), "llama", Map.of());
        decoders.deploy(llama.dir(), "llama-short", Map.of("max_position_embeddings", 16));
        decoders.deploy(chat.dir(), "chat", Map.of());
    }

    @AfterAll
    static void stop() {
        decoders.close();
    }

    private static void assertRejected(String pipeline, Map<String, HostTensor> inputs, Map<String, String> params,
                                       String... fragments) {
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> decoders.engine.infer(pipeline, new InferenceRequest(inputs, params, false)));
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' should mention '" + f + "'");
        }
    }

    private static Map<String, HostTensor> with(GoldenCase c, String key, HostTensor value) {
        Map<String, HostTensor> in = new HashMap<>(c.inputs());
        if (value == null) {
            in.remove(key);
        } else {
            in.put(key, value);
        }
        return in;
    }

    private static HostTensor ids(long... ids) {
        return HostTensor.ofLongs(ids, ids.length);
    }

    @Test
    void visionTokensWithoutAPlaceholderAreRefused() {
        assertRejected("llama", with(llama, "input_ids", ids(1, 242, 196, 217)), Map.of(), "vision_tokens",
                "no -200 placeholder");
    }

    @Test
    void aPlaceholderWithoutVisionTokensIsRefused() {
        assertRejected("llama", with(llama, "vision_tokens", null), Map.of(), "placeholder", "no vision_tokens");
    }

    @Test
    void twoPlaceholdersAreRefused() {
        assertRejected("llama", with(llama, "input_ids", ids(1, -200, 5, -200)), Map.of(), "more than one",
                "placeholder");
    }

    @Test
    void visionTokensOfTheWrongWidthAreRefused() {
        assertRejected("llama", with(llama, "vision_tokens", HostTensor.ofFloats(new float[6 * 32], 6, 32)),
                Map.of(), "vision_tokens", "64");
    }

    @Test
    void aPromptLongerThanMaxPositionEmbeddingsIsRefused() {
        // 12 text tokens + 6 vision tokens = 18 positions > 16
        assertRejected("llama-short", llama.inputs(), Map.of(), "18 positions", "max_position_embeddings 16");
    }

    @Test
    void anEmptyPromptIsRefused() {
        Map<String, HostTensor> in = Map.of("input_ids", HostTensor.ofLongs(new long[0], 0));
        assertRejected("llama", in, Map.of(), "input_ids is empty");
    }

    @Test
    void idsOutsideTheVocabularyAreRefused() {
        assertRejected("llama", Map.of("input_ids", ids(1, 256)), Map.of(), "input_ids[1] = 256", "[0, 256)");
        assertRejected("llama", Map.of("input_ids", ids(-3, 4)), Map.of(), "input_ids[0] = -3");
        assertRejected("chat", with(chat, "instruction_ids", ids(4, 300)), Map.of(), "instruction_ids[1] = 300");
    }

    @Test
    void theInstanceGateNeedsInstructionTokens() {
        assertRejected("chat", with(chat, "instruction_ids", HostTensor.ofLongs(new long[0], 0)), Map.of(),
                "instruction_ids is empty");
        Map<String, HostTensor> placeholderLast = with(chat, "instruction_ids", null);
        placeholderLast.put("input_ids", ids(1, 28, -200));
        assertRejected("chat", placeholderLast, Map.of(), "instruction tokens");
    }

    @Test
    void textNeedsATokenizerAndExcludesIds() {
        assertRejected("llama", with(llama, "prompt", HostTensor.ofBytes("hi".getBytes())), Map.of(), "not both");
        assertRejected("llama", Map.of("prompt", HostTensor.ofBytes("hi".getBytes())), Map.of(), "no tokenizer.json");
        assertRejected("llama", Map.of(), Map.of(), "not neither");
    }

    @Test
    void malformedGenerationParametersAreRefused() {
        assertRejected("llama", llama.inputs(), Map.of("max_new_tokens", "many"), "max_new_tokens", "integer");
        assertRejected("llama", llama.inputs(), Map.of("do_sample", "true", "temperature", "0"), "temperature > 0");
        assertRejected("llama", llama.inputs(), Map.of("top_p", "1.5"), "top_p in (0, 1]");
        assertRejected("llama", llama.inputs(), Map.of("stop_sequences", "3,x"), "stop_sequences");
    }
}
