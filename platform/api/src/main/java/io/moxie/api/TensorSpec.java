package io.moxie.api;

import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.Objects;

/**
 * The name, dtype and shape of a stage or pipeline input or output. A dimension of {@code -1} is variable; a null
 * shape accepts any rank, and {@link DataType#UNKNOWN} any dtype (see {@link #any(String)}).
 *
 * @param name the tensor's name (the keys of the golden {@code .npz} formats)
 * @param dataType its DJL data type
 * @param shape its shape, {@code -1} for a dimension that varies per request; null for any shape
 */
public record TensorSpec(String name, DataType dataType, long[] shape) {
    public TensorSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dataType, "dataType");
        shape = shape == null ? null : shape.clone();
    }

    /** A spec accepting any dtype and shape. */
    public static TensorSpec any(String name) {
        return new TensorSpec(name, DataType.UNKNOWN, null);
    }

    /** Returns a defensive copy of the shape, or null when any shape is accepted. */
    @Override
    public long[] shape() {
        return shape == null ? null : shape.clone();
    }

    /** Returns whether {@code actual} has this spec's rank and agrees on every fixed dimension. */
    public boolean accepts(long[] actual) {
        if (shape == null) {
            return true;
        }
        if (actual.length != shape.length) {
            return false;
        }
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] >= 0 && shape[i] != actual[i]) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && t.name.equals(name) && t.dataType == dataType && Arrays.equals(t.shape, shape);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dataType, Arrays.hashCode(shape));
    }

    @Override
    public String toString() {
        return name + ":" + dataType + (shape == null ? "[*]" : Arrays.toString(shape));
    }
}
