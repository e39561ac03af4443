package io.moxie.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Rotary position embeddings, "rotate-half" convention (HF Llama): {@code inv_freq[j] = 1 / theta^(2j / head_dim)},
 * angles {@code pos · inv_freq} repeated twice along the head, {@code x' = x cos + rotate_half(x) sin} with
 * {@code rotate_half([x1, x2]) = [-x2, x1]} (pairs {@code (d, d + head_dim/2)}, not interleaved). The cos and sin
 * tables are computed in float32 with the same operations as the reference, so they agree bit for bit.
 *
 * <p>The rotation of one position is linear, {@code x' = x R_pos} with {@code R_pos = diag(cos) + P diag(sin)}
 * ({@code P} the signed permutation of {@code rotate_half}), so a forward call builds its {@code [t, hd, hd]}
 * matrices once and each layer rotates all its heads with one batched matrix product instead of slicing, negating,
 * concatenating and three element-wise products: a decode step is dominated by such per-operation costs. Each output
 * element is {@code x_j cos_j ± x_p sin_j} plus exact zeros, so it differs from the reference's only by the rounding
 * of that one sum. Immutable.
 */
final class Rope {
    private final NDArray invFreqRow;
    private final NDArray identity;
    private final NDArray rotateHalf;

    /** @param manager the component's manager, which owns the frequency table and the constant matrices */
    Rope(NDManager manager, int headDim, double theta) {
        try (NDManager scratch = manager.newSubManager()) {
            NDArray exponents = scratch.arange(0, headDim, 2, DataType.INT64).toType(DataType.FLOAT32, false)
                    .div(headDim);
            // kept as a [1, head_dim/2] row: requests only ever use it as the right operand, so nothing they
            // compute lands in the component's manager
            this.invFreqRow = scratch.create((float) theta).pow(exponents).getNDArrayInternal().rdiv(1f)
                    .expandDims(0);
            invFreqRow.attach(manager);
        }
        int half = headDim / 2;
        float[] p = new float[headDim * headDim];
        for (int j = 0; j < half; j++) {
            p[(j + half) * headDim + j] = -1f; // x'_j (first half) takes -x_{j+half}
            p[j * headDim + j + half] = 1f;    // x'_{j+half} takes x_j
        }
        this.identity = manager.eye(headDim);
        this.rotateHalf = manager.create(p, new Shape(headDim, headDim));
    }

    /**
     * The rotations of {@code t} consecutive positions, {@code [t, hd, hd]}: {@code keys} as RoPE defines it,
     * {@code queries} the same times {@code 1 / sqrt(head_dim)}, attention's score scale folded in.
     */
    record Tables(NDArray queries, NDArray keys) {
    }

    /** Builds the rotations of positions {@code start .. start+t-1} in {@code manager}. */
    Tables tables(long start, long t, double queryScale, NDManager manager) {
        NDArray positions = manager.arange(Math.toIntExact(start), Math.toIntExact(start + t), 1, DataType.INT64)
                .toType(DataType.FLOAT32, false);
        NDArray half = positions.expandDims(1).mul(invFreqRow);
        NDArray angles = NDArrays.concat(new NDList(half, half), 1).expandDims(1); // [t, 1, hd]: scales columns
        // the call's arrays on the left: a result belongs to its left operand's manager, never the component's
        NDArray keys = angles.cos().mul(identity).addi(angles.sin().mul(rotateHalf));
        return new Tables(keys.mul((float) queryScale), keys);
    }

    /** Rotates {@code x [t, heads, head_dim]} with one of the tables' rotations; the result goes to {@code x}'s manager. */
    static NDArray apply(NDArray x, NDArray rotation) {
        return x.matMul(rotation);
    }
}
