package io.moxie.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ModelFormatException;
import io.moxie.api.ParameterStore;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Weights held in memory under checkpoint key names. {@link #load} hands out a copy, as a checkpoint would, so a
 * component may close what it loaded. The arrays belong to the manager they were created in (the store's owner).
 */
final class MemoryStore implements ParameterStore {
    private final Map<String, NDArray> weights = new LinkedHashMap<>();

    MemoryStore put(String key, NDArray value) {
        weights.put(key, value);
        return this;
    }

    @Override
    public String modelName() {
        return "bench-random";
    }

    @Override
    public Set<String> keys() {
        return weights.keySet();
    }

    @Override
    public boolean contains(String key) {
        return weights.containsKey(key);
    }

    @Override
    public Shape shape(String key) {
        return require(key).getShape();
    }

    @Override
    public DataType storedType(String key) {
        return require(key).getDataType();
    }

    @Override
    public NDArray load(String key, NDManager manager) {
        NDArray copy = require(key).duplicate();
        copy.attach(manager);
        return copy;
    }

    private NDArray require(String key) {
        NDArray a = weights.get(key);
        if (a == null) {
            throw new ModelFormatException("model 'bench-random': no tensor '" + key + "'");
        }
        return a;
    }
}
