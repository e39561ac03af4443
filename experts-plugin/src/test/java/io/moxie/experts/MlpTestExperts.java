package io.moxie.experts;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.MoeSpec;
import io.moxie.api.Routing;
import io.moxie.testkit.TestContext;
import java.util.Map;
import java.util.Random;

/** The {@code mlp} experts the bank tests build (checkpoint keys, spec, random weights) and the routings they run. */
final class MlpTestExperts {
    static final Map<String, String> KEYS = Map.of(
            "fc1.weight", "experts.{e}.fc1.weight", "fc1.bias", "experts.{e}.fc1.bias",
            "fc2.weight", "experts.{e}.fc2.weight", "fc2.bias", "experts.{e}.fc2.bias");

    private MlpTestExperts() {
    }

    static MoeSpec spec(int e, int k, String activation) {
        return new MoeSpec("layer0", "gate", e, k, KEYS, Map.of("activation", activation));
    }

    /**
     * Puts {@code e} experts {@code fc2(act(fc1(x)))} of Gaussian values into {@code context}, the weights times
     * {@code weightScale(fanIn)}, the biases unscaled.
     */
    static TestContext experts(TestContext context, Random random, int e, int in, int hidden, int out,
                               FanInScale weightScale) {
        for (int i = 0; i < e; i++) {
            context.gaussian("experts." + i + ".fc1.weight", random, weightScale.of(in), hidden, in);
            context.gaussian("experts." + i + ".fc1.bias", random, 1, hidden);
            context.gaussian("experts." + i + ".fc2.weight", random, weightScale.of(hidden), out, hidden);
            context.gaussian("experts." + i + ".fc2.bias", random, 1, out);
        }
        return context;
    }

    /** The scale of a weight's values given its fan-in. */
    @FunctionalInterface
    interface FanInScale {
        FanInScale UNIT_VARIANCE = fanIn -> 1;
        /** Variance {@code 1/fanIn}: outputs stay O(1) whatever the sizes. */
        FanInScale VARIANCE_ONE_OVER_FAN_IN = fanIn -> 1 / Math.sqrt(fanIn);

        double of(int fanIn);
    }

    /**
     * Returns a routing of {@code tokens} tokens to {@code k} distinct experts each, drawn from experts
     * {@code idle..E-1} when {@code k} allows it (the experts below {@code idle} get no token), weights uniform in
     * {@code [0, 1)}.
     */
    static Routing randomRouting(NDManager m, Random random, int tokens, int e, int k, int idle) {
        long[] idx = new long[tokens * k];
        float[] w = new float[tokens * k];
        int low = Math.min(idle, e - k);
        for (int t = 0; t < tokens; t++) {
            int first = low + random.nextInt(e - low);
            for (int j = 0; j < k; j++) {
                idx[t * k + j] = low + (first - low + j) % (e - low);
                w[t * k + j] = random.nextFloat();
            }
        }
        return new Routing(m.create(idx, new Shape(tokens, k)), m.create(w, new Shape(tokens, k)), e);
    }

    static float[] gaussian(Random random, int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) random.nextGaussian();
        }
        return out;
    }
}
