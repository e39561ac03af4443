package io.moxie.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.tensor.HostTensor;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every golden case of the decoder reference through a real pipeline engine and the distribution's default pipeline
 * of its model type, key by key: greedy ids and routing indices exactly, floats within the case's tolerance. The
 * visible cases ({@code llm-llama-tiny}, {@code llm-mistral-tiny}, {@code llm-mixtral-tiny},
 * {@code chat-octavius-tiny}) and the ones drawn for this project (see the README in the test resources): MQA with the
 * placeholder first, MHA with tied embeddings and the placeholder last, top-1 Mixtral stopping on eos, LoRA-MoE on
 * q/v only with GQA.
 */
class GoldenCasesTest {
    private static Decoders decoders;

    @BeforeAll
    static void start() {
        decoders = new Decoders(Path.of("target"));
    }

    @AfterAll
    static void stop() {
        decoders.close();
    }

    private static Map<String, HostTensor> infer(String pipeline, GoldenCase c) {
        return decoders.engine.infer(pipeline, InferenceRequest.of(c.inputs())).outputs();
    }

    @ParameterizedTest
    @ValueSource(strings = {"llm-llama-tiny", "llm-mistral-tiny", "llm-mixtral-tiny", "chat-octavius-tiny",
        "llm-llama-mqa-start", "llm-llama-mha-tied-end", "llm-mixtral-top1-eos", "chat-octavius-qv-gqa",
        "llm-mistral-long-prompt"})
    void goldenCaseMatchesWithTheKvCacheAndWhenRecomputing(String name) {
        GoldenCase c = GoldenCase.load(name);
        decoders.deploy(c.dir(), name + "-cached", Map.of());
        decoders.deploy(c.dir(), name + "-recompute", Map.of("kv_cache", false));
        Map<String, HostTensor> cached = infer(name + "-cached", c);
        Map<String, HostTensor> recomputed = infer(name + "-recompute", c);
        System.out.println(c.check(cached, "kv cache"));
        System.out.println(c.check(recomputed, "recompute"));
        assertArrayEquals(cached.get("generated_ids").toLongArray(), recomputed.get("generated_ids").toLongArray());
    }

    @ParameterizedTest
    @ValueSource(strings = {"llm-mixtral-tiny", "llm-mixtral-top1-eos"})
    void mixtralMatchesOnTheOpenBlasExpertBankAcrossRuntimeSwaps(String name) {
        GoldenCase c = GoldenCase.load(name);
        String pipeline = name + "-swap";
        decoders.deploy(c.dir(), pipeline, Map.of()); // the model type prefers swiglu-blas, which runs on this CPU
        System.out.println(c.check(infer(pipeline, c), "swiglu-blas, the model type's first choice"));
        decoders.swapExperts(pipeline, "swiglu");
        System.out.println(c.check(infer(pipeline, c), "swiglu after swap"));
        decoders.swapExperts(pipeline, "swiglu-blas");
        System.out.println(c.check(infer(pipeline, c), "swiglu-blas after swapping back"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"chat-octavius-tiny", "chat-octavius-qv-gqa"})
    void loraMoeMatchesUnmergedAndMergedAcrossRuntimeSwaps(String name) {
        GoldenCase c = GoldenCase.load(name);
        String pipeline = name + "-swap";
        decoders.deploy(c.dir(), pipeline, Map.of());
        System.out.println(c.check(infer(pipeline, c), "lora"));
        decoders.swapExperts(pipeline, "lora-merged");
        System.out.println(c.check(infer(pipeline, c), "lora-merged after swap"));
        decoders.swapExperts(pipeline, "lora");
        System.out.println(c.check(infer(pipeline, c), "lora after swapping back"));
    }
}
