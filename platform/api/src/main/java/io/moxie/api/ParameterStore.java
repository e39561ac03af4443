package io.moxie.api;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Set;

/**
 * A model's weights, served by checkpoint key exactly as the checkpoint names them (CuMo, Octavius and Hugging Face
 * key names). Backed by the model repository's {@code *.safetensors} files; F16 and BF16 tensors are converted to
 * float32 when loaded. Thread-safe.
 */
public interface ParameterStore {

    /** Returns the name of the model the weights belong to. */
    String modelName();

    /** Returns every key of the checkpoint. */
    Set<String> keys();

    /** Returns whether the checkpoint has {@code key}. */
    boolean contains(String key);

    /**
     * Returns the shape of a tensor without loading it.
     *
     * @throws ModelFormatException if the key is missing (the message names it)
     */
    Shape shape(String key);

    /** Returns the dtype of a tensor as stored on disk. */
    DataType storedType(String key);

    /**
     * Loads a tensor into {@code manager}, floating-point tensors converted to float32, integer tensors kept.
     *
     * @throws ModelFormatException if the key is missing
     */
    NDArray load(String key, NDManager manager);

    /**
     * Loads a tensor and checks its shape.
     *
     * @throws ModelFormatException if the key is missing or its shape differs (the message names the key and both
     *     shapes)
     */
    default NDArray load(String key, Shape expected, NDManager manager) {
        Shape actual = shape(key);
        if (!actual.equals(expected)) {
            throw new ModelFormatException("model '" + modelName() + "': tensor '" + key + "' has shape " + actual
                    + ", expected " + expected);
        }
        return load(key, manager);
    }

    /**
     * Loads tensors concatenated along their first dimension into one array, e.g. the q, k and v projections into a
     * fused qkv {@code [q_out + k_out + v_out, in]}: the result equals {@code NDArrays.concat} of their loads, but a
     * store that can copies each tensor straight into the one array, so loading leaves no freed intermediate arrays
     * behind (freed weight-sized blocks stay resident in the allocator's heap; see docs/PERFORMANCE.md).
     *
     * @param keys at least one key, in the order of concatenation
     * @param expected each key's expected shape; they may differ in the first dimension only
     * @throws ModelFormatException if a key is missing or its shape differs from the expected one (the message names
     *     the key and both shapes)
     * @throws IllegalArgumentException if the two lists differ in length, are empty, or the expected shapes cannot be
     *     concatenated
     */
    default NDArray loadConcatenated(List<String> keys, List<Shape> expected, NDManager manager) {
        concatenatedShape(keys, expected);
        if (keys.size() == 1) {
            return load(keys.get(0), expected.get(0), manager);
        }
        try (NDList parts = new NDList()) {
            for (int i = 0; i < keys.size(); i++) {
                parts.add(load(keys.get(i), expected.get(i), manager));
            }
            return NDArrays.concat(parts, 0);
        }
    }

    /**
     * Returns the shape of the concatenation of tensors of the {@code expected} shapes along their first dimension.
     *
     * @throws IllegalArgumentException if the lists differ in length, are empty, or the shapes differ in more than the
     *     first dimension
     */
    static Shape concatenatedShape(List<String> keys, List<Shape> expected) {
        if (keys.isEmpty() || keys.size() != expected.size()) {
            throw new IllegalArgumentException("need one expected shape per key, at least one: " + keys + " "
                    + expected);
        }
        Shape first = expected.get(0);
        if (expected.size() == 1) {
            return first; // nothing to concatenate: any shape, a scalar too
        }
        long rows = 0;
        for (Shape s : expected) {
            if (s.dimension() == 0 || s.dimension() != first.dimension()
                    || !s.slice(1).equals(first.slice(1))) {
                throw new IllegalArgumentException("cannot concatenate " + keys + " of shapes " + expected
                        + " along the first dimension");
            }
            rows += s.get(0);
        }
        long[] dims = first.getShape().clone();
        dims[0] = rows;
        return new Shape(dims);
    }
}
