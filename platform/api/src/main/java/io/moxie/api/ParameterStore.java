package io.moxie.api;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
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
}
