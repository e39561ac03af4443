package io.moxie.experts.blas;

import ai.djl.ndarray.NDArray;
import io.moxie.api.ComponentContext;
import io.moxie.api.ModelFormatException;
import io.moxie.api.MoeSpec;
import io.moxie.blas.FusedActivation;
import io.moxie.blas.SharedMemory;
import io.moxie.experts.MlpExperts;
import java.nio.FloatBuffer;

/**
 * The {@code E} {@code mlp} experts of one layer ({@link MlpExperts}: same keys, checks and errors) seen by OpenBLAS:
 * views of {@code fc1 [I, dIn]} and {@code fc2 [dOut, I]} in the checkpoint's {@code [out, in]} layout (called with
 * {@code CblasTrans}, the fastest layout measured, and no second copy of the weights), and the biases on the Java heap:
 * fc1's scaled by the activation's fc1 {@code alpha} (written into the hidden rows before fc1 adds onto them), fc2's
 * for the combine. The arrays belong to the component's manager; the views are only read, so an instance is immutable
 * and thread-safe.
 */
final class BlasMlpExperts {
    private final FloatBuffer[] fc1;
    private final FloatBuffer[] fc2;
    private final float[][] fc1Bias;
    private final float[][] fc2Bias;
    private final FusedActivation activation;
    private final int inputSize;
    private final int hiddenSize;
    private final int outputSize;

    private BlasMlpExperts(FloatBuffer[] fc1, FloatBuffer[] fc2, float[][] fc1Bias, float[][] fc2Bias,
                           FusedActivation activation, int inputSize, int hiddenSize, int outputSize) {
        this.fc1 = fc1;
        this.fc2 = fc2;
        this.fc1Bias = fc1Bias;
        this.fc2Bias = fc2Bias;
        this.activation = activation;
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        this.outputSize = outputSize;
    }

    /**
     * Loads every expert of the spec into the component's manager ({@link MlpExperts#load}).
     *
     * @throws ModelFormatException naming the key of a missing or mis-shaped tensor, or a size OpenBLAS cannot take
     */
    static BlasMlpExperts load(ComponentContext context, MoeSpec spec) {
        MlpExperts experts = MlpExperts.load(context, spec);
        FusedActivation activation = FusedActivation.named(experts.activationName());
        if (activation == null) {
            throw new ModelFormatException("MoE layer " + spec.layer() + ": activation '" + experts.activationName()
                    + "' has no OpenBLAS form in 'grouped-mlp-blas'; use 'grouped-mlp'");
        }
        int e = experts.numExperts();
        FloatBuffer[] fc1 = new FloatBuffer[e];
        FloatBuffer[] fc2 = new FloatBuffer[e];
        float[][] fc1Bias = new float[e][];
        float[][] fc2Bias = new float[e][];
        for (int i = 0; i < e; i++) {
            NDArray[] w = experts.weights(i);
            fc1[i] = SharedMemory.floats(w[0]);
            fc1Bias[i] = w[1].toFloatArray();
            for (int j = 0; j < fc1Bias[i].length; j++) {
                fc1Bias[i][j] *= activation.fc1Alpha();
            }
            fc2[i] = SharedMemory.floats(w[2]);
            fc2Bias[i] = w[3].toFloatArray();
            // the biases live on the heap now; the weights stay, viewed, in the component's manager
            w[1].close();
            w[3].close();
        }
        NDArray[] first = experts.weights(0);
        return new BlasMlpExperts(fc1, fc2, fc1Bias, fc2Bias, activation, blasSize(experts.inputSize(), spec),
                blasSize(first[0].getShape().get(0), spec), blasSize(experts.outputSize(), spec));
    }

    /** BLAS takes int sizes; anything near 2^31 would not fit in memory as a matrix anyway. */
    private static int blasSize(long size, MoeSpec spec) {
        if (size < 1 || size >= Integer.MAX_VALUE / 2) {
            throw new ModelFormatException("MoE layer " + spec.layer() + ": expert size " + size
                    + " is out of range for OpenBLAS");
        }
        return (int) size;
    }

    /** Returns {@code fc1} of expert {@code e}, {@code [I, dIn]}. */
    FloatBuffer fc1(int e) {
        return fc1[e];
    }

    /** Returns {@code fc1}'s bias of expert {@code e} times the activation's fc1 {@code alpha}; callers only read it. */
    float[] fc1Bias(int e) {
        return fc1Bias[e];
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
