package io.moxie.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import io.moxie.api.MoxieException;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.tensor.HostTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Generation controls: length, eos, stop sequences, sampling, the position limit, the sliding window, memory. */
class GenerationTest {
    private static Decoders decoders;
    private static GoldenCase llama;
    private static long[] greedy;

    @BeforeAll
    static void start() {
        decoders = new Decoders(Path.of("target"));
        llama = GoldenCase.load("llm-llama-tiny");
        decoders.deploy(llama.dir(), "llama", Map.of());
        greedy = llama.expected().get("generated_ids").toLongArray();
    }

    @AfterAll
    static void stop() {
        decoders.close();
    }

    private static long[] generate(String pipeline, Map<String, HostTensor> inputs, Map<String, String> params) {
        return decoders.engine.infer(pipeline, new InferenceRequest(inputs, params, false)).outputs()
                .get("generated_ids").toLongArray();
    }

    private static long[] generate(Map<String, String> params) {
        return generate("llama", llama.inputs(), params);
    }

    @Test
    void maxNewTokensComesFromParametersOrTheScalarInput() {
        assertArrayEquals(Arrays.copyOf(greedy, 5), generate(Map.of("max_new_tokens", "5")));
        Map<String, HostTensor> in = new HashMap<>(llama.inputs());
        ByteBuffer three = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 3);
        in.put("max_new_tokens", new HostTensor(DataType.INT64, new long[0], three));
        assertArrayEquals(Arrays.copyOf(greedy, 3), generate("llama", in, Map.of()));
        assertArrayEquals(new long[0], generate(Map.of("max_new_tokens", "0")));
    }

    @Test
    void generationStopsAfterEosOrAStopSequenceKeepingIt() {
        assertArrayEquals(Arrays.copyOf(greedy, 4), generate(Map.of("eos_token_id", "999," + greedy[3])));
        // ids 225 18 254 182 36 18 254 179 ...: "18,254" first ends at index 2, "254,179" at index 7
        assertArrayEquals(Arrays.copyOf(greedy, 3), generate(Map.of("stop_sequences", greedy[1] + "," + greedy[2])));
        assertArrayEquals(Arrays.copyOf(greedy, 8),
                generate(Map.of("stop_sequences", "7,7,7;" + greedy[6] + "," + greedy[7])));
    }

    @Test
    void samplingIsReproducibleForASeedAndDegeneratesToGreedy() {
        Map<String, String> sampled = Map.of("do_sample", "true", "seed", "7", "temperature", "1.5");
        long[] first = generate(sampled);
        assertArrayEquals(first, generate(sampled));
        assertFalse(Arrays.equals(first, greedy), "a hot sampler should leave the greedy path");
        assertArrayEquals(greedy, generate(Map.of("do_sample", "true", "top_k", "1", "seed", "3")));
        assertArrayEquals(greedy, generate(Map.of("do_sample", "true", "top_p", "1e-6", "seed", "3")));
        int differ = 0;
        for (int seed = 0; seed < 4; seed++) {
            long[] other = generate(Map.of("do_sample", "true", "seed", Integer.toString(100 + seed),
                    "temperature", "1.5"));
            differ += Arrays.equals(other, first) ? 0 : 1;
        }
        assertTrue(differ > 0, "other seeds should draw other ids");
    }

    @Test
    void generationEndsAtMaxPositionEmbeddings() {
        // prompt of 18 positions: ids 0..2 are computed from positions 17..19, the last one is never fed back
        decoders.deploy(llama.dir(), "llama-20", Map.of("max_position_embeddings", 20));
        assertArrayEquals(Arrays.copyOf(greedy, 3), generate("llama-20", llama.inputs(), Map.of()));
        decoders.deploy(llama.dir(), "llama-20-recompute", Map.of("max_position_embeddings", 20, "kv_cache", false));
        assertArrayEquals(Arrays.copyOf(greedy, 3), generate("llama-20-recompute", llama.inputs(), Map.of()));
    }

    @Test
    void aSlidingWindowMasksOldKeysTheSameWayWithAndWithoutTheCache() {
        GoldenCase mistral = GoldenCase.load("llm-mistral-tiny");
        decoders.deploy(mistral.dir(), "window-cached", Map.of("sliding_window", 4));
        decoders.deploy(mistral.dir(), "window-recompute", Map.of("sliding_window", 4, "kv_cache", false));
        long[] cached = generate("window-cached", mistral.inputs(), Map.of());
        assertArrayEquals(cached, generate("window-recompute", mistral.inputs(), Map.of()));
        assertFalse(Arrays.equals(cached, mistral.expected().get("generated_ids").toLongArray()),
                "a window of 4 positions must change the answer of a 10-token prompt");
    }

    @Test
    void stepsThatOutgrowTheWindowReadTheKeysOfFusedSteps() {
        // a 10-token prompt and a window of 13: the first decode steps fit the window and take the fused CPU step,
        // the later ones need the window's mask and run on the engine's layers over the cache those steps wrote
        GoldenCase mistral = GoldenCase.load("llm-mistral-tiny");
        decoders.deploy(mistral.dir(), "window13-cached", Map.of("sliding_window", 13));
        decoders.deploy(mistral.dir(), "window13-recompute", Map.of("sliding_window", 13, "kv_cache", false));
        assertArrayEquals(generate("window13-recompute", mistral.inputs(), Map.of()),
                generate("window13-cached", mistral.inputs(), Map.of()));
    }

    @Test
    void aCancelledGenerationStopsAndFreesItsKvCache() {
        generate(Map.of());
        int before = decoders.engine.rootManager().getManagedArrays().size();
        AtomicInteger polls = new AtomicInteger();
        InferenceRequest request = new InferenceRequest(llama.inputs(), Map.of(), false)
                .withCancellation(() -> polls.incrementAndGet() > 4);
        MoxieException e = assertThrows(MoxieException.class, () -> decoders.engine.infer("llama", request));
        assertTrue(e.getMessage().contains("cancelled"), e.getMessage());
        assertTrue(polls.get() < greedy.length, "generation should stop at the first step after the cancellation");
        assertEquals(before, decoders.engine.rootManager().getManagedArrays().size());
    }

    @Test
    void requestsLeaveNoArraysBehind() {
        generate(Map.of());
        int before = decoders.engine.rootManager().getManagedArrays().size();
        for (int i = 0; i < 3; i++) {
            generate(Map.of());
            generate(Map.of("do_sample", "true", "seed", Integer.toString(i)));
        }
        assertEquals(before, decoders.engine.rootManager().getManagedArrays().size());
    }
}
