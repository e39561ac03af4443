package io.moxie.encoders.pointcloud;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ComponentContext;
import io.moxie.api.ModelFormatException;
import io.moxie.api.ParameterStore;

/**
 * Loads a component's checkpoint tensors into its own manager, each checked against the shape the configuration
 * implies (a mismatch is a {@link ModelFormatException} naming the key and both shapes). Used only while a factory
 * builds a stage.
 */
public final class WeightLoader {
    private final ParameterStore store;
    private final NDManager manager;

    /** Loads from the context's weights into the context's manager. */
    public WeightLoader(ComponentContext context) {
        this.store = context.parameters();
        this.manager = context.manager();
    }

    /** Loads a float32 tensor of the given shape; the array belongs to the component's manager. */
    public NDArray load(String key, long... shape) {
        return store.load(key, new Shape(shape), manager);
    }

    /** Loads a {@code Conv1d} weight {@code [out, in, 1]} as the matrix {@code [out, in]} of a per-point linear map. */
    public NDArray conv1x1(String key, long out, long in) {
        float[] values = floats(key, out, in, 1);
        return create(values, out, in);
    }

    /** Loads a tensor of the given shape as a row-major float array, freeing the loaded copy. */
    public float[] floats(String key, long... shape) {
        try (NDArray a = load(key, shape)) {
            return a.toFloatArray();
        }
    }

    /** Creates a float32 tensor in the component's manager. */
    public NDArray create(float[] values, long... shape) {
        return manager.create(values, new Shape(shape));
    }
}
