package io.moxie.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * Rotary position embeddings, "rotate-half" convention (HF Llama): {@code inv_freq[j] = 1 / theta^(2j / head_dim)},
 * angles {@code pos · inv_freq} repeated twice along the head, {@code x' = x cos + rotate_half(x) sin} with
 * {@code rotate_half([x1, x2]) = [-x2, x1]} (pairs {@code (d, d + head_dim/2)}, not interleaved). Computed in float32
 * with the same operations as the reference so the tables agree bit for bit. Immutable.
 */
final class Rope {
    private final NDArray invFreqRow;
    // indices parsed once: NDIndex parses its string on construction, and every layer of every step rotates
    private final NDIndex firstHalf;
    private final NDIndex secondHalf;

    /** @param manager the component's manager, which owns the frequency table */
    Rope(NDManager manager, int headDim, double theta) {
        this.firstHalf = new NDIndex(":, :, 0:{}", headDim / 2);
        this.secondHalf = new NDIndex(":, :, {}:", headDim / 2);
        try (NDManager scratch = manager.newSubManager()) {
            NDArray exponents = scratch.arange(0, headDim, 2, DataType.INT64).toType(DataType.FLOAT32, false)
                    .div(headDim);
            // kept as a [1, head_dim/2] row: requests only ever use it as the right operand, so nothing they
            // compute lands in the component's manager
            this.invFreqRow = scratch.create((float) theta).pow(exponents).getNDArrayInternal().rdiv(1f)
                    .expandDims(0);
            invFreqRow.attach(manager);
        }
    }

    /** The cos and sin tables of {@code t} consecutive positions, {@code [t, 1, head_dim]}, ready to broadcast. */
    record Tables(NDArray cos, NDArray sin) {
    }

    /** Builds the tables of positions {@code start .. start+t-1} in {@code manager}. */
    Tables tables(long start, long t, NDManager manager) {
        NDArray positions = manager.arange(Math.toIntExact(start), Math.toIntExact(start + t), 1, DataType.INT64)
                .toType(DataType.FLOAT32, false);
        NDArray half = positions.expandDims(1).mul(invFreqRow);
        NDArray angles = NDArrays.concat(new NDList(half, half), 1).expandDims(1);
        return new Tables(angles.cos(), angles.sin());
    }

    /** Rotates {@code x [t, heads, head_dim]}; the result belongs to {@code x}'s manager. */
    NDArray apply(NDArray x, Tables tables) {
        NDArray first = x.get(firstHalf);
        NDArray second = x.get(secondHalf);
        NDArray rotated = NDArrays.concat(new NDList(second.neg(), first), 2);
        return x.mul(tables.cos()).addi(rotated.muli(tables.sin()));
    }
}
