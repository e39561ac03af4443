package io.moxie.experts;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import io.moxie.api.ComponentContext;
import io.moxie.api.ModelFormatException;
import io.moxie.api.MoeSpec;
import io.moxie.api.MoxieException;
import io.moxie.api.ParameterStore;

/**
 * The weights of the {@code E} {@code mlp} experts of one layer: {@code fc1} {@code [I, dIn]} + {@code [I]},
 * {@code fc2} {@code [dOut, I]} + {@code [dOut]} per expert (PyTorch {@code [out, in]} layout), float32, owned by
 * the component's manager. Immutable, hence thread-safe.
 */
public final class MlpExperts {
    static final String FC1_WEIGHT = "fc1.weight";
    static final String FC1_BIAS = "fc1.bias";
    static final String FC2_WEIGHT = "fc2.weight";
    static final String FC2_BIAS = "fc2.bias";

    private final NDArray[] fc1Weight;
    private final NDArray[] fc1Bias;
    private final NDArray[] fc2Weight;
    private final NDArray[] fc2Bias;
    private final Activation activation;
    private final long inputSize;
    private final long outputSize;

    private MlpExperts(NDArray[] fc1Weight, NDArray[] fc1Bias, NDArray[] fc2Weight, NDArray[] fc2Bias,
                       Activation activation) {
        this.fc1Weight = fc1Weight;
        this.fc1Bias = fc1Bias;
        this.fc2Weight = fc2Weight;
        this.fc2Bias = fc2Bias;
        this.activation = activation;
        this.inputSize = fc1Weight[0].getShape().get(1);
        this.outputSize = fc2Weight[0].getShape().get(0);
    }

    /**
     * Loads every expert of the spec into the component's manager, checking that all share expert 0's shapes (and
     * {@code dIn} = the option {@code input_size} when given).
     *
     * @throws ModelFormatException naming the key of a missing or mis-shaped tensor
     * @throws MoxieException if a key template or the activation is missing or unknown
     */
    public static MlpExperts load(ComponentContext context, MoeSpec spec) {
        return load(context, spec, context.manager());
    }

    /** Loads every expert into {@code target} (a host-memory scope, for offloading), with the same checks. */
    static MlpExperts load(ComponentContext context, MoeSpec spec, ai.djl.ndarray.NDManager target) {
        Activation activation = Activation.of(spec.option("activation", null), spec.layer());
        ParameterStore params = context.parameters();
        Shape fc1 = params.shape(spec.expertKey(FC1_WEIGHT, 0));
        Shape fc2 = params.shape(spec.expertKey(FC2_WEIGHT, 0));
        if (fc1.dimension() != 2 || fc2.dimension() != 2) {
            throw new ModelFormatException("model '" + params.modelName() + "': expert weights '"
                    + spec.expertKey(FC1_WEIGHT, 0) + "' " + fc1 + " and '" + spec.expertKey(FC2_WEIGHT, 0) + "' "
                    + fc2 + " must be 2-D [out, in]");
        }
        long hidden = fc1.get(0);
        long in = inputSize(spec, fc1.get(1));
        long out = fc2.get(0);
        int e = spec.numExperts();
        NDArray[] w1 = new NDArray[e];
        NDArray[] b1 = new NDArray[e];
        NDArray[] w2 = new NDArray[e];
        NDArray[] b2 = new NDArray[e];
        for (int i = 0; i < e; i++) {
            w1[i] = params.load(spec.expertKey(FC1_WEIGHT, i), new Shape(hidden, in), target);
            b1[i] = params.load(spec.expertKey(FC1_BIAS, i), new Shape(hidden), target);
            w2[i] = params.load(spec.expertKey(FC2_WEIGHT, i), new Shape(out, hidden), target);
            b2[i] = params.load(spec.expertKey(FC2_BIAS, i), new Shape(out), target);
        }
        return new MlpExperts(w1, b1, w2, b2, activation);
    }

    private static long inputSize(MoeSpec spec, long fromCheckpoint) {
        String option = spec.option("input_size", null);
        if (option == null) {
            return fromCheckpoint;
        }
        try {
            return Long.parseLong(option);
        } catch (NumberFormatException e) {
            throw new MoxieException("MoE layer " + spec.layer() + ": option input_size must be an integer, got '"
                    + option + "'");
        }
    }

    /** Runs expert {@code e} on rows {@code [n, dIn]}; the result {@code [n, dOut]} belongs to {@code x}'s manager. */
    NDArray forward(int e, NDArray x) {
        return forward(weights(e), x);
    }

    /** Runs an expert given as its four tensors (a resident copy of {@link #weights(int)}) on rows {@code [n, dIn]}. */
    NDArray forward(NDArray[] weights, NDArray x) {
        NDArray hidden = activation.apply(Linear.linear(x, weights[0], weights[1]).singletonOrThrow());
        return Linear.linear(hidden, weights[2], weights[3]).singletonOrThrow();
    }

    /** Returns expert {@code e}'s tensors: fc1 weight, fc1 bias, fc2 weight, fc2 bias. */
    public NDArray[] weights(int e) {
        return new NDArray[] {fc1Weight[e], fc1Bias[e], fc2Weight[e], fc2Bias[e]};
    }

    /** Returns the Hugging Face name of the experts' activation ({@code quick_gelu}, {@code gelu}). */
    public String activationName() {
        return activation.configName();
    }

    /** Returns the bytes of one expert's tensors. */
    long expertBytes() {
        long n = 0;
        for (NDArray a : weights(0)) {
            n += a.getShape().size() * a.getDataType().getNumOfBytes();
        }
        return n;
    }

    public int numExperts() {
        return fc1Weight.length;
    }

    public long inputSize() {
        return inputSize;
    }

    public long outputSize() {
        return outputSize;
    }
}
