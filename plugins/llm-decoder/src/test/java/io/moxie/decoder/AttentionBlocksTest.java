package io.moxie.decoder;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Attention over a long call in blocks of query rows equals attention over all rows at once. */
class AttentionBlocksTest {
    private static final int ROWS = 11;
    private static final int PROMPT = 5;
    private static final long BLOCK = 4; // 11 rows: blocks of 4, 4 and 3

    @Test
    void blocksEqualOneMapWithoutTheCache() {
        compare(config(0), false);
    }

    @Test
    void blocksEqualOneMapAfterAPromptInTheCache() {
        compare(config(0), true);
    }

    @Test
    void blocksEqualOneMapUnderASlidingWindow() {
        compare(config(6), false);
        compare(config(6), true);
    }

    /** GQA (2 query heads per kv head), odd sizes, and Mistral's sliding window when {@code window > 0}. */
    private static DecoderConfig config(int window) {
        return new DecoderConfig(11, 37, 23, 1, 4, 2, 6, 1e-5, 10000, 64, false, window, 0, 0, 0, 0, List.of(),
                true, false, null);
    }

    private static void compare(DecoderConfig config, boolean withCache) {
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
            NDArray rows = random(m, ROWS, d, 1);
            try (KvCache wholeCache = withCache ? new KvCache(m, config, PROMPT + ROWS) : null;
                 KvCache blockedCache = withCache ? new KvCache(m, config, PROMPT + ROWS) : null) {
                long start = 0;
                if (withCache) {
                    run(m, config, rope, whole, prompt, 0, wholeCache);
                    run(m, config, rope, whole, prompt, 0, blockedCache);
                    start = PROMPT;
                }
                float[] expected = run(m, config, rope, whole, rows, start, wholeCache);
                float[] actual = run(m, config, rope, blocked, rows, start, blockedCache);
                double scale = 0;
                double error = 0;
                for (int i = 0; i < expected.length; i++) {
                    scale = Math.max(scale, Math.abs(expected[i]));
                    error = Math.max(error, Math.abs(expected[i] - actual[i]));
                }
                assertTrue(expected.length == actual.length && error <= 1e-5 * Math.max(1, scale),
                        "max error " + error + " of values up to " + scale);
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
