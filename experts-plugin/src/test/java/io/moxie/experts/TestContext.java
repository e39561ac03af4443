package io.moxie.experts;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ComponentContext;
import io.moxie.api.Config;
import io.moxie.api.ModelFormatException;
import io.moxie.api.MoeLayer;
import io.moxie.api.MoeSpec;
import io.moxie.api.ParameterStore;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** A component context over in-memory weights; the component's manager is a sub-manager of the test's. */
final class TestContext implements ComponentContext, ParameterStore {
    private final NDManager manager;
    private final Map<String, NDArray> weights = new LinkedHashMap<>();
    private Config config = Config.empty("test");

    TestContext(NDManager parent) {
        this.manager = parent.newSubManager();
    }

    TestContext withConfig(Map<String, ?> settings) {
        config = new Config(settings, "test stage");
        return this;
    }

    TestContext put(String key, NDArray value) {
        weights.put(key, value);
        return this;
    }

    void remove(String key) {
        weights.remove(key);
    }

    float[] value(String key) {
        return require(key).toFloatArray();
    }

    @Override
    public String name() {
        return "test-stage";
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    public ParameterStore parameters() {
        return this;
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public Device device() {
        return manager.getDevice();
    }

    @Override
    public MoeLayer moeLayer(MoeSpec spec) {
        throw new UnsupportedOperationException("not needed by expert bank tests");
    }

    @Override
    public String modelName() {
        return "test-model";
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
    public NDArray load(String key, NDManager target) {
        NDArray copy = require(key).duplicate();
        copy.attach(target);
        return copy;
    }

    private NDArray require(String key) {
        NDArray a = weights.get(key);
        if (a == null) {
            throw new ModelFormatException("model 'test-model': no tensor '" + key + "'");
        }
        return a;
    }
}
