package io.moxie.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.testkit.TestContext;

/**
 * Random weights at CuMo size drawn with the scales of the reference's {@code random_weights} and {@code bench}
 * (README §9): they decide how evenly the top-k router spreads tokens over the experts, hence the GEMM shapes. The
 * weights are held by a {@link TestContext}, which hands out copies under checkpoint key names as a model would.
 */
final class RandomWeights {
    /** Key prefix of CLIP layer 0, as in a CuMo checkpoint. */
    static final String LAYER = "model.vision_tower.vision_model.encoder.layers.0.";
    /** Key prefix of the connector, as in a CuMo checkpoint. */
    static final String PROJECTOR = "model.mm_projector.";

    private final NDManager manager;

    /** @param manager owns every array drawn */
    RandomWeights(NDManager manager) {
        this.manager = manager;
    }

    /** One CLIP-MoE encoder layer: attention {@code D x D}, LayerNorms, gate {@code [E, D]}, experts {@code D -> I -> D}. */
    TestContext clipLayer(int d, int intermediate, int experts) {
        TestContext s = new TestContext(manager);
        for (String proj : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
            double std = (proj.equals("q_proj") || proj.equals("k_proj") ? 1.5 : 1.0) / Math.sqrt(d);
            s.put(LAYER + "self_attn." + proj + ".weight", normal(std, d, d));
            s.put(LAYER + "self_attn." + proj + ".bias", normal(0.02, d));
        }
        for (String norm : new String[] {"layer_norm1", "layer_norm2"}) {
            s.put(LAYER + norm + ".weight", normal(0.1, d).add(1f));
            s.put(LAYER + norm + ".bias", normal(0.05, d));
        }
        for (int e = 0; e < experts; e++) {
            String p = LAYER + "experts." + e + ".";
            s.put(p + "fc1.weight", normal(1 / Math.sqrt(d), intermediate, d));
            s.put(p + "fc1.bias", normal(0.1, intermediate));
            s.put(p + "fc2.weight", normal(1 / Math.sqrt(intermediate), d, intermediate));
            s.put(p + "fc2.bias", normal(0.05, d));
        }
        s.put(LAYER + "gate.weight", normal(2 / Math.sqrt(d), experts, d));
        return s;
    }

    /** The MLP-MoE connector: gate {@code [E, Cin]}, experts {@code Cin -> H -> H} (keys {@code .0} and {@code .2}). */
    TestContext connector(int in, int hidden, int experts) {
        TestContext s = new TestContext(manager);
        s.put(PROJECTOR + "gate.weight", normal(2 / Math.sqrt(in), experts, in));
        for (int e = 0; e < experts; e++) {
            String p = PROJECTOR + "experts." + e + ".";
            s.put(p + "0.weight", normal(1 / Math.sqrt(in), hidden, in));
            s.put(p + "0.bias", normal(0.1, hidden));
            s.put(p + "2.weight", normal(1 / Math.sqrt(hidden), hidden, hidden));
            s.put(p + "2.bias", normal(0.05, hidden));
        }
        return s;
    }

    /** Standard normal values times {@code std}. */
    NDArray normal(double std, long... shape) {
        return manager.randomNormal(0f, (float) std, new Shape(shape), DataType.FLOAT32);
    }
}
