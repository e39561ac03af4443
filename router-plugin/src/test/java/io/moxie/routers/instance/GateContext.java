package io.moxie.routers.instance;

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
import java.util.Map;
import java.util.Set;

/** A component context holding one gate tensor; the component's manager is a sub-manager of the test's. */
final class GateContext implements ComponentContext, ParameterStore {
    private final NDManager manager;
    private final String key;
    private final float[] values;
    private final Shape shape;

    GateContext(NDManager parent, String key, float[] values, Shape shape) {
        this.manager = parent.newSubManager();
        this.key = key;
        this.values = values;
        this.shape = shape;
    }

    @Override
    public String name() {
        return "decoder";
    }

    @Override
    public Config config() {
        return new Config(Map.of(), "test");
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
        throw new UnsupportedOperationException("routers build no MoE layers");
    }

    @Override
    public String modelName() {
        return "octavius-test";
    }

    @Override
    public Set<String> keys() {
        return Set.of(key);
    }

    @Override
    public boolean contains(String k) {
        return key.equals(k);
    }

    @Override
    public Shape shape(String k) {
        require(k);
        return shape;
    }

    @Override
    public DataType storedType(String k) {
        require(k);
        return DataType.FLOAT32;
    }

    @Override
    public NDArray load(String k, NDManager target) {
        require(k);
        return target.create(values, shape);
    }

    private void require(String k) {
        if (!key.equals(k)) {
            throw new ModelFormatException("model 'octavius-test': no tensor '" + k + "'");
        }
    }
}
