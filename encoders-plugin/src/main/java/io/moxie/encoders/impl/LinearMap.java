package io.moxie.encoders.impl;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;
import io.moxie.blas.BlasLinear;
import io.moxie.blas.OpenBlas;

/**
 * {@code y = x · Wᵀ + b} over the last axis, {@code W [out, in]} as checkpoints store it: on OpenBLAS when the host has
 * it ({@link BlasLinear}), else on DJL. The result is a new array in {@code x}'s manager; {@code x} is not modified.
 * Implementations are immutable, hence thread-safe; they hold views of weights owned by a component's manager.
 */
public interface LinearMap {

    /**
     * @param x {@code [..., in]} float32
     * @return {@code [..., out]} float32
     */
    NDArray apply(NDArray x);

    /**
     * Returns the map for a weight {@code [out, in]} and an optional bias {@code [out]} (null for none).
     */
    static LinearMap of(NDArray weight, NDArray bias) {
        if (OpenBlas.availableFor(weight)) {
            return BlasLinear.of(weight, bias, BlasLinear.Split.FILL_CORES)::apply;
        }
        return bias == null ? x -> Linear.linear(x, weight).singletonOrThrow()
                : x -> Linear.linear(x, weight, bias).singletonOrThrow();
    }
}
