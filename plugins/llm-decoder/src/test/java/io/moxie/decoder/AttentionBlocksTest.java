package io.moxie.decoder;

import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Attention over a long call in blocks of query rows equals attention over all rows at once. */
class AttentionBlocksTest {
    private static final int PROMPT = 5;
    private static final long BLOCK = 4;

    @Test
    void blocksEqualOneMapWithoutTheCache() {
        compare(config(2, 0), false, 11); // blocks of 4, 4 and 3
        compare(config(2, 0), false, 9); // a last block of one row
    }

    @Test
    void blocksEqualOneMapAfterAPromptInTheCache() {
        compare(config(2, 0), true, 11);
        compare(config(1, 0), true, 9); // MQA
    }

    @Test
    void blocksEqualOneMapUnderASlidingWindow() {
        for (int window : new int[] {3, 6}) { // narrower and wider than a block
            compare(config(2, window), false, 11);
            compare(config(2, window), true, 9);
        }
    }

    @Test
    void aBlockHasAtLeastOneRow() {
        DecoderConfig config = config(2, 0);
        assertThrows(IllegalArgumentException.class, () -> new Attention(0, config, null, null, null, 0));
    }

    /** 4 query heads over {@code kvHeads}, odd sizes, and Mistral's sliding window when {@code window > 0}. */
    private static DecoderConfig config(int kvHeads, int window) {
        return new DecoderConfig(11, 37, 23, 1, 4, kvHeads, 6, 1e-5, 10000, 64, false, window, 0, 0, 0, 0, List.of(),
                true, false, null);
    }

    private static void compare(DecoderConfig config, boolean withCache, int rowCount) {
        try (NDManager m = NDManager.newBaseManager()) {
            int d = config.hiddenSize();
            int q = config.numHeads() * config.headDim();
            int kv = config.numKvHeads() * config.headDim();
            Projection qkv = Projection.dense(random(m, q + 2 * kv, d, 1 / Math.sqrt(d)));
            Projection out = Projection.dense(random(m, d, q, 1 / Math.sqrt(q)));
            Attention whole = new Attention(0, config, qkv, null, out, Long.MAX_VALUE);
            Attention blocked = new Attention(0, config, qkv, null, out, BLOCK);
            Rope rope = new Rope(m, config.headDim(), config.ropeTheta());
            NDArray prompt = random(m, PROMPT, d, 1);
            NDArray rows = random(m, rowCount, d, 1);
            try (KvCache wholeCache = withCache ? new KvCache(m, config, PROMPT + rowCount) : null;
                 KvCache blockedCache = withCache ? new KvCache(m, config, PROMPT + rowCount) : null) {
                long start = 0;
                if (withCache) {
                    run(m, config, rope, whole, prompt, 0, wholeCache);
                    run(m, config, rope, whole, prompt, 0, blockedCache);
                    start = PROMPT;
                }
                float[] expected = run(m, config, rope, whole, rows, start, wholeCache);
                float[] actual = run(m, config, rope, blocked, rows, start, blockedCache);
                Closeness.assertClose(expected, actual, rowCount + " rows, cache " + withCache);
            }
        }
    }

    private static float[] run(NDManager m, DecoderConfig config, Rope rope, Attention attention, NDArray rows,
                               long start, KvCache cache) {
        try (NDManager scratch = m.newSubManager()) {
            ForwardPass pass = new ForwardPass(null, scratch, config, rope, start, rows.getShape().get(0), cache,
                    false);
            NDArray a = rows.duplicate();
            a.attach(scratch);
            return attention.forward(a, pass).toFloatArray();
        }
    }

    private static NDArray random(NDManager m, long rows, long columns, double sigma) {
        return m.randomNormal(0, (float) sigma, new Shape(rows, columns), DataType.FLOAT32);
    }
}
