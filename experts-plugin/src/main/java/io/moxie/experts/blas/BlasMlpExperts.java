package io.moxie.experts.blas;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ComponentContext;
import io.moxie.api.ModelFormatException;
import io.moxie.api.MoeSpec;
import io.moxie.api.MoxieException;
import io.moxie.api.ParameterStore;
import java.nio.FloatBuffer;

/**
 * The {@code E} {@code mlp} experts of one layer laid out for OpenBLAS: per expert {@code fc1} as one
 * {@code [I, dIn + 1]} matrix whose last column is the bias (the grouped input carries a column of ones, so the GEMM
 * adds the bias for free), {@code fc2} {@code [dOut, I]} as loaded, and {@code fc2}'s bias on the Java heap for the
 * combine. The arrays belong to the component's manager; the buffers are views of them and are only read, so an
 * instance is immutable and thread-safe.
 */
final class BlasMlpExperts {
    static final String FC1_WEIGHT = "fc1.weight";
    static final String FC1_BIAS = "fc1.bias";
    static final String FC2_WEIGHT = "fc2.weight";
    static final String FC2_BIAS = "fc2.bias";

    private final FloatBuffer[] fc1;
    private final FloatBuffer[] fc2;
    private final float[][] fc2Bias;
    private final FusedActivation activation;
    private final int inputSize;
    private final int hiddenSize;
    private final int outputSize;

    private BlasMlpExperts(FloatBuffer[] fc1, FloatBuffer[] fc2, float[][] fc2Bias, FusedActivation activation,
                           int inputSize, int hiddenSize, int outputSize) {
        this.fc1 = fc1;
        this.fc2 = fc2;
        this.fc2Bias = fc2Bias;
        this.activation = activation;
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        this.outputSize = outputSize;
    }

    /**
     * Loads every expert of the spec into the component's manager, checking that all share expert 0's shapes (and
     * {@code dIn} = the option {@code input_size} when given).
     *
     * @throws ModelFormatException naming the key of a missing or mis-shaped tensor
     * @throws MoxieException if a key template or the activation is missing or unknown
     */
    static BlasMlpExperts load(ComponentContext context, MoeSpec spec) {
        FusedActivation activation = FusedActivation.of(spec.option("activation", null), spec.layer());
        ParameterStore params = context.parameters();
        Shape first1 = params.shape(spec.expertKey(FC1_WEIGHT, 0));
        Shape first2 = params.shape(spec.expertKey(FC2_WEIGHT, 0));
        if (first1.dimension() != 2 || first2.dimension() != 2) {
            throw new ModelFormatException("model '" + params.modelName() + "': expert weights '"
                    + spec.expertKey(FC1_WEIGHT, 0) + "' " + first1 + " and '" + spec.expertKey(FC2_WEIGHT, 0) + "' "
                    + first2 + " must be 2-D [out, in]");
        }
        int hidden = blasSize(first1.get(0), spec);
        int in = blasSize(inputSize(spec, first1.get(1)), spec);
        int out = blasSize(first2.get(0), spec);
        NDManager manager = context.manager();
        int e = spec.numExperts();
        FloatBuffer[] fc1 = new FloatBuffer[e];
        FloatBuffer[] fc2 = new FloatBuffer[e];
        float[][] fc2Bias = new float[e][];
        for (int i = 0; i < e; i++) {
            NDArray w1 = params.load(spec.expertKey(FC1_WEIGHT, i), new Shape(hidden, in), manager);
            NDArray b1 = params.load(spec.expertKey(FC1_BIAS, i), new Shape(hidden), manager);
            NDArray w2 = params.load(spec.expertKey(FC2_WEIGHT, i), new Shape(out, hidden), manager);
            NDArray b2 = params.load(spec.expertKey(FC2_BIAS, i), new Shape(out), manager);
            NDArray column = b1.reshape(hidden, 1);
            NDArray augmented = w1.concat(column, 1); // [I, dIn + 1], contiguous
            // only the augmented copy is kept: the weights are not held twice
            w1.close();
            column.close();
            b1.close();
            fc1[i] = SharedMemory.floats(augmented);
            fc2[i] = SharedMemory.floats(w2);
            fc2Bias[i] = b2.toFloatArray();
            b2.close();
        }
        return new BlasMlpExperts(fc1, fc2, fc2Bias, activation, in, hidden, out);
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

    /** BLAS takes int sizes; anything near 2^31 would not fit in memory as a matrix anyway. */
    private static int blasSize(long size, MoeSpec spec) {
        if (size < 1 || size >= Integer.MAX_VALUE / 2) {
            throw new ModelFormatException("MoE layer " + spec.layer() + ": expert size " + size
                    + " is out of range for OpenBLAS");
        }
        return (int) size;
    }

    /** Returns {@code fc1} of expert {@code e}, {@code [I, dIn + 1]} with the bias as last column. */
    FloatBuffer fc1(int e) {
        return fc1[e];
    }

    /** Returns {@code fc2} of expert {@code e}, {@code [dOut, I]}. */
    FloatBuffer fc2(int e) {
        return fc2[e];
    }

    /** Returns {@code fc2}'s bias of expert {@code e}; callers only read it. */
    float[] fc2Bias(int e) {
        return fc2Bias[e];
    }

    FusedActivation activation() {
        return activation;
    }

    int numExperts() {
        return fc1.length;
    }

    int inputSize() {
        return inputSize;
    }

    int hiddenSize() {
        return hiddenSize;
    }

    int outputSize() {
        return outputSize;
    }
}
