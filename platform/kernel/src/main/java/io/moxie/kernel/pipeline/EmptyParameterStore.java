package io.moxie.kernel.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ModelFormatException;
import io.moxie.api.ParameterStore;
import java.util.Set;

/** The weights of a stage that names no model: there are none. */
final class EmptyParameterStore implements ParameterStore {
    private final String stage;

    EmptyParameterStore(String stage) {
        this.stage = stage;
    }

    @Override
    public String modelName() {
        return "(none)";
    }

    @Override
    public Set<String> keys() {
        return Set.of();
    }

    @Override
    public boolean contains(String key) {
        return false;
    }

    @Override
    public Shape shape(String key) {
        throw missing(key);
    }

    @Override
    public DataType storedType(String key) {
        throw missing(key);
    }

    @Override
    public NDArray load(String key, NDManager manager) {
        throw missing(key);
    }

    private ModelFormatException missing(String key) {
        return new ModelFormatException("stage '" + stage + "' names no model, so it has no tensor '" + key
                + "': set 'model' in its definition");
    }
}
