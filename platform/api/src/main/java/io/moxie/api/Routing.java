package io.moxie.api;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Objects;

/**
 * A routing decision for {@code T} tokens: which {@code k} experts each token goes to and with what weight.
 *
 * <p>{@code indices} is {@code [T, k]} int64, experts in descending order of router probability; {@code weights} is
 * {@code [T, k]} float32, the combine weights in the same order. Both arrays belong to the request's manager; a
 * {@code Routing} owns nothing and needs no closing.
 *
 * @param indices expert index per token and slot, {@code [T, k]} int64
 * @param weights combine weight per token and slot, {@code [T, k]} float32
 * @param numExperts the number of experts {@code E} the indices range over
 */
public record Routing(NDArray indices, NDArray weights, int numExperts) {
    public Routing {
        Objects.requireNonNull(indices, "indices");
        Objects.requireNonNull(weights, "weights");
        if (indices.getShape().dimension() != 2 || !indices.getShape().equals(weights.getShape())) {
            throw new IllegalArgumentException("routing indices " + indices.getShape() + " and weights "
                    + weights.getShape() + " must both be [T, k]");
        }
        if (indices.getDataType() != DataType.INT64 || weights.getDataType() != DataType.FLOAT32) {
            throw new IllegalArgumentException("routing indices must be int64 and weights float32, got "
                    + indices.getDataType() + " and " + weights.getDataType());
        }
    }

    /** Returns the number of tokens {@code T}. */
    public long tokens() {
        return indices.getShape().get(0);
    }

    /** Returns the number of experts per token {@code k}. */
    public int topK() {
        return (int) indices.getShape().get(1);
    }

    /**
     * Returns how many (token, slot) pairs each expert received: the per-expert load used for telemetry and for
     * grouped execution. Copies the indices to the host.
     */
    public long[] expertLoad() {
        long[] load = new long[numExperts];
        for (long e : indices.toLongArray()) {
            load[(int) e]++;
        }
        return load;
    }
}
