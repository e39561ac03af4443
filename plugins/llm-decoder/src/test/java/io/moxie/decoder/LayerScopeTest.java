package io.moxie.decoder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.testkit.TestContext;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A forward call over many rows leaves in its scope what it returns and what every layer shares (mask, RoPE tables),
 * not each layer's intermediates: kept to the end of the call, those grew with the depth and the prompt, and the
 * memory the call freed at its end had to be faulted in again by the next one.
 */
class LayerScopeTest {
    private static final int ROWS = 9;

    @Test
    void whatACallKeepsDoesNotGrowWithTheNumberOfLayers() {
        assertEquals(arraysLeftByACall(1), arraysLeftByACall(4));
    }

    /** Runs the layers of a random model with {@code layers} layers; returns how many arrays the call's scope holds. */
    private static int arraysLeftByACall(int layers) {
        DecoderConfig config = new DecoderConfig(13, 24, 40, layers, 4, 2, 6, 1e-5, 10000, 64, false, 0, 0, 0, 0, 0,
                List.of(), true, false, null);
        try (NDManager m = NDManager.newBaseManager()) {
            TestContext weights = new TestContext(m);
            Random random = new Random(layers);
            int d = config.hiddenSize();
            int kv = config.numKvHeads() * config.headDim();
            int q = config.numHeads() * config.headDim();
            weights.gaussian(CheckpointKeys.EMBED, random, 1, config.vocabSize(), d);
            weights.gaussian(CheckpointKeys.LM_HEAD, random, 0.2, config.vocabSize(), d);
            weights.gaussian(CheckpointKeys.FINAL_NORM, random, 1, d);
            for (int i = 0; i < layers; i++) {
                String prefix = CheckpointKeys.layer(i);
                weights.gaussian(prefix + "input_layernorm.weight", random, 1, d);
                weights.gaussian(prefix + "post_attention_layernorm.weight", random, 1, d);
                weights.gaussian(CheckpointKeys.attention(i, "q_proj"), random, 0.2, q, d);
                weights.gaussian(CheckpointKeys.attention(i, "k_proj"), random, 0.2, kv, d);
                weights.gaussian(CheckpointKeys.attention(i, "v_proj"), random, 0.2, kv, d);
                weights.gaussian(CheckpointKeys.attention(i, "o_proj"), random, 0.2, d, q);
                weights.gaussian(prefix + "mlp.gate_proj.weight", random, 0.2, config.intermediateSize(), d);
                weights.gaussian(prefix + "mlp.up_proj.weight", random, 0.2, config.intermediateSize(), d);
                weights.gaussian(prefix + "mlp.down_proj.weight", random, 0.2, d, config.intermediateSize());
            }
            DecoderModel model = DecoderModel.load(weights, config);
            try (NDManager caller = m.newSubManager(); NDManager call = caller.newSubManager()) {
                NDArray rows = caller.randomNormal(0, 1, new Shape(ROWS, d), DataType.FLOAT32);
                rows.tempAttach(call); // as the generator lends its rows to the call
                ForwardPass pass = new ForwardPass(null, call, config, model.rope(), 0, ROWS, null, false);
                NDArray out = model.layers(rows, pass, null);
                assertEquals(new Shape(ROWS, d), out.getShape());
                int left = call.getManagedArrays().size();
                call.close();
                assertFalse(rows.isReleased(), "the caller's rows outlive the call");
                return left;
            }
        }
    }
}
