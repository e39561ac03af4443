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
 * <p>{@code rotate_half} is a product with a constant signed permutation {@code P} (exact: one non-zero term per
 * output), so a rotation is {@code x cos + (x P) sin}: four operations on {@code [t, 1, head_dim]} tables. A call of
 * few rows (a decode step, where the fixed cost of each tensor operation dominates) goes further: its rotation is
 * linear per position, {@code x' = x R_pos} with {@code R_pos = diag(cos) + P diag(sin)}, so it builds the
 * {@code [t, hd, hd]} matrices once per call and every layer rotates with one batched product. Beyond
 * {@link #MATRIX_ROWS} rows the matrices would cost {@code t·hd²} floats each, so long prefills use the tables. Each
 * call also carries a query rotation scaled by attention's {@code 1 / sqrt(head_dim)}. Immutable.
 */
final class Rope {
    /** Calls of at most this many rows rotate with per-position matrices. */
    static final long MATRIX_ROWS = 16;

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

    /** Returns {@code inv_freq [head_dim / 2]}, the values the tables are computed from. */
    float[] inverseFrequencies() {
        return invFreqRow.toFloatArray();
    }

    /** How one call rotates {@code x [t, heads, head_dim]}; results go to {@code x}'s manager. */
    interface Rotation {
        NDArray apply(NDArray x);
    }

    /** The rotations of one call's positions: {@code keys} as RoPE defines it, {@code queries} times the score scale. */
    record Tables(Rotation queries, Rotation keys) {
    }

    /** Builds the rotations of positions {@code start .. start+t-1} in {@code manager}. */
    Tables tables(long start, long t, double queryScale, NDManager manager) {
        NDArray positions = manager.arange(Math.toIntExact(start), Math.toIntExact(start + t), 1, DataType.INT64)
                .toType(DataType.FLOAT32, false);
        NDArray half = positions.expandDims(1).mul(invFreqRow);
        NDArray angles = NDArrays.concat(new NDList(half, half), 1).expandDims(1); // [t, 1, hd]
        NDArray cos = angles.cos();
        NDArray sin = angles.sin();
        float scale = (float) queryScale;
        if (t <= MATRIX_ROWS) {
            // the call's arrays on the left: a result belongs to its left operand's manager, never the component's
            NDArray keys = cos.mul(identity).addi(sin.mul(rotateHalf));
            if (t == 1) {
                // one position (a decode step): a plain [hd, hd] matrix makes the product one small GEMM, cheaper
                // than a batched one
                keys = keys.reshape(keys.getShape().get(1), keys.getShape().get(2));
            }
            NDArray queries = keys.mul(scale);
            NDArray keyRotation = keys;
            return new Tables(x -> x.matMul(queries), x -> x.matMul(keyRotation));
        }
        NDArray queryCos = cos.mul(scale);
        NDArray querySin = sin.mul(scale);
        return new Tables(x -> x.mul(queryCos).addi(x.matMul(rotateHalf).muli(querySin)),
                x -> x.mul(cos).addi(x.matMul(rotateHalf).muli(sin)));
    }
}
