package io.moxie.encoders.impl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import io.moxie.api.ModelFormatException;
import io.moxie.api.ParameterStore;
import io.moxie.blas.BlasMlp;
import io.moxie.blas.FusedActivation;
import io.moxie.blas.OpenBlas;

/**
 * A dense two-layer MLP {@code L2(act(L1(x)))} with biases: a CLIP layer's {@code mlp} or a LLaVA {@code mlp2x_gelu}
 * projector, i.e. what a checkpoint holds before co-upcycling. Weights in PyTorch {@code [out, in]} layout, float32,
 * owned by the component's manager; immutable.
 *
 * <p>On the CPU with OpenBLAS loadable, both GEMMs and the activation run as {@link BlasMlp} (OpenBLAS, single-threaded
 * parts on the fork-join pool), like the tower's attention: a layer's large GEMMs then all use one pool, and libtorch's
 * OpenMP pool never spins against it (docs/PERFORMANCE.md, "One pool for the GEMMs"). Otherwise DJL runs it.
 */
public final class DenseMlp {
    private final NDArray fc1Weight;
    private final NDArray fc1Bias;
    private final NDArray fc2Weight;
    private final NDArray fc2Bias;
    private final Activation activation;
    /** The same MLP on OpenBLAS, or null to run on DJL. */
    private final BlasMlp blas;

    private DenseMlp(NDArray fc1Weight, NDArray fc1Bias, NDArray fc2Weight, NDArray fc2Bias, Activation activation,
                     BlasMlp blas) {
        this.fc1Weight = fc1Weight;
        this.fc1Bias = fc1Bias;
        this.fc2Weight = fc2Weight;
        this.fc2Bias = fc2Bias;
        this.activation = activation;
        this.blas = blas;
    }

    private static DenseMlp of(NDArray fc1Weight, NDArray fc1Bias, NDArray fc2Weight, NDArray fc2Bias,
                               Activation activation) {
        FusedActivation fused = FusedActivation.named(activation.configName());
        // an activation OpenBLAS' path has no fused form for runs on the engine
        BlasMlp blas = fused != null && OpenBlas.availableFor(fc1Weight)
                ? BlasMlp.of(fc1Weight, fc1Bias, fc2Weight, fc2Bias, fused) : null;
        return new DenseMlp(fc1Weight, fc1Bias, fc2Weight, fc2Bias, activation, blas);
    }


    /**
     * Loads the two linears {@code fc1 [I, inputSize]} and {@code fc2 [*, I]} from the given key prefixes (each
     * followed by {@code weight} / {@code bias}).
     *
     * @throws ModelFormatException naming the key of a missing or mis-shaped tensor
     */
    public static DenseMlp load(ParameterStore params, String fc1, String fc2, long inputSize, Activation activation,
                                NDManager manager) {
        Shape first = params.shape(fc1 + "weight");
        Shape second = params.shape(fc2 + "weight");
        if (first.dimension() != 2 || second.dimension() != 2) {
            throw new ModelFormatException("model '" + params.modelName() + "': '" + fc1 + "weight' " + first + " and '"
                    + fc2 + "weight' " + second + " must be 2-D [out, in]");
        }
        long hidden = first.get(0);
        long out = second.get(0);
        return of(params.load(fc1 + "weight", new Shape(hidden, inputSize), manager),
                params.load(fc1 + "bias", new Shape(hidden), manager),
                params.load(fc2 + "weight", new Shape(out, hidden), manager),
                params.load(fc2 + "bias", new Shape(out), manager), activation);
    }

    /** Returns the output width. */
    public long outputSize() {
        return fc2Weight.getShape().get(0);
    }

    /** Runs the MLP on {@code x [..., in]}; the result {@code [..., out]} belongs to {@code x}'s manager. */
    public NDArray forward(NDArray x) {
        if (blas != null) {
            return blas.forward(x);
        }
        NDArray hidden = activation.apply(Linear.linear(x, fc1Weight, fc1Bias).singletonOrThrow());
        return Linear.linear(hidden, fc2Weight, fc2Bias).singletonOrThrow();
    }
}
