package io.moxie.decoder;

import static org.junit.jupiter.api.Assertions.assertNotNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.blas.OpenBlas;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The fused CPU decode step against the DJL layers on random weights. */
class DecodeStepTest {
    // odd sizes everywhere, GQA (2 query heads per kv head), q width 24 unlike hidden 37
    private static final DecoderConfig CONFIG = new DecoderConfig(11, 37, 23, 3, 4, 2, 6, 1e-5, 10000, 64, false, 0,
            0, 0, 0, 0, List.of(), true, false, null);
    private static final int PROMPT = 5;
    private static final int STEPS = 7;

    @Test
    void fusedDecodeStepsMatchTheDjlLayersAsTheCacheGrows() {
        Assumptions.assumeTrue(OpenBlas.available(), "OpenBLAS does not load here");
        try (NDManager m = NDManager.newBaseManager()) {
            DecoderLayer[] layers = new DecoderLayer[CONFIG.numLayers()];
            for (int i = 0; i < layers.length; i++) {
                layers[i] = layer(m, i);
            }
            Rope rope = new Rope(m, CONFIG.headDim(), CONFIG.ropeTheta());
            DecodeStep fused = DecoderModel.decodeStep(CONFIG, layers, rope);
            assertNotNull(fused, "dense layers on OpenBLAS have a fused decode step");
            try (KvCache djlCache = new KvCache(m, CONFIG, PROMPT + STEPS);
                 KvCache fusedCache = new KvCache(m, CONFIG, PROMPT + STEPS)) {
                NDArray prompt = random(m, PROMPT, CONFIG.hiddenSize(), 1);
                djl(m, layers, rope, prompt, 0, djlCache);
                djl(m, layers, rope, prompt, 0, fusedCache);
                for (int step = 0; step < STEPS; step++) {
                    long position = PROMPT + step;
                    NDArray row = random(m, 1, CONFIG.hiddenSize(), 1);
                    float[] expected = djl(m, layers, rope, row, position, djlCache);
                    float[] actual;
                    try (NDManager scratch = m.newSubManager()) {
                        ForwardPass pass = new ForwardPass(null, scratch, CONFIG, rope, position, 1, fusedCache, false);
                        actual = fused.apply(row, pass).toFloatArray();
                    }
                    Closeness.assertClose(expected, actual, "step " + step);
                }
            }
        }
    }

    private static float[] djl(NDManager m, DecoderLayer[] layers, Rope rope, NDArray rows, long start,
                               KvCache cache) {
        try (NDManager scratch = m.newSubManager()) {
            ForwardPass pass = new ForwardPass(null, scratch, CONFIG, rope, start, rows.getShape().get(0), cache, false);
            NDArray h = rows;
            for (DecoderLayer layer : layers) {
                h = layer.forward(h, pass);
            }
            return h.toFloatArray();
        }
    }

    private static DecoderLayer layer(NDManager m, int i) {
        int d = CONFIG.hiddenSize();
        int hd = CONFIG.headDim();
        int inter = CONFIG.intermediateSize();
        int qWidth = CONFIG.numHeads() * hd;
        Attention attention = new Attention(i, CONFIG,
                Projection.dense(random(m, qWidth + 2 * CONFIG.numKvHeads() * hd, d, 1 / Math.sqrt(d))), null,
                Projection.dense(random(m, d, qWidth, 1 / Math.sqrt(qWidth))));
        return new DecoderLayer(norm(m), attention, norm(m),
                FeedForward.dense(random(m, 2 * inter, d, 1 / Math.sqrt(d)),
                        random(m, d, inter, 1 / Math.sqrt(inter))));
    }

    private static RmsNorm norm(NDManager m) {
        NDArray weight = m.randomNormal(1, 0.2f, new Shape(CONFIG.hiddenSize()), DataType.FLOAT32);
        return new RmsNorm(weight, CONFIG.rmsNormEps());
    }

    private static NDArray random(NDManager m, long rows, long columns, double sigma) {
        return m.randomNormal(0, (float) sigma, new Shape(rows, columns), DataType.FLOAT32);
    }
}
