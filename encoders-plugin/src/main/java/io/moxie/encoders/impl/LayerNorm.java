package io.moxie.encoders.impl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ParameterStore;
import io.moxie.blas.RowParts;

/**
 * LayerNorm over the last axis: {@code (x − mean) / sqrt(var + eps) · weight + bias} with the biased variance, as
 * PyTorch's {@code F.layer_norm}. Weights {@code [D]} float32 owned by the component's manager; immutable.
 */
public final class LayerNorm {
    private final NDArray weight;
    private final NDArray bias;
    private final float eps;

    private LayerNorm(NDArray weight, NDArray bias, float eps) {
        this.weight = weight;
        this.bias = bias;
        this.eps = eps;
    }

    /** Loads {@code prefix + "weight"} and {@code prefix + "bias"}, both {@code [size]}. */
    public static LayerNorm load(ParameterStore params, String prefix, long size, double eps, NDManager manager) {
        Shape shape = new Shape(size);
        return new LayerNorm(params.load(prefix + "weight", shape, manager), params.load(prefix + "bias", shape, manager),
                (float) eps);
    }

    /**
     * Normalises {@code x [..., D]}; the result belongs to {@code x}'s manager. On the CPU the rows go through the
     * engine in serially-run chunks on the GEMMs' fork-join parts ({@link RowParts}), so a tower layer never wakes
     * libtorch's OpenMP pool between its OpenBLAS GEMMs.
     */
    public NDArray apply(NDArray x) {
        return RowParts.map(x, this::engine);
    }

    private NDArray engine(NDArray x) {
        // the engine's fused layer norm (what DJL's LayerNorm block calls), one pass instead of seven
        return x.getNDArrayInternal().layerNorm(x, weight.getShape(), weight, bias, eps).singletonOrThrow();
    }
}
