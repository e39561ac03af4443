package io.moxie.experts.swiglu;

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
import java.util.Random;
import java.util.Set;

/**
 * A component context over in-memory float32 weights given as Java arrays (so tests can also compute the expected
 * numbers in plain Java); the component's manager is a sub-manager of the test's. Shared by the swiglu and LoRA tests.
 */
public final class ArrayContext implements ComponentContext, ParameterStore {
    private final NDManager manager;
    private final Map<String, float[]> values = new LinkedHashMap<>();
    private final Map<String, Shape> shapes = new LinkedHashMap<>();

    public ArrayContext(NDManager parent) {
        this.manager = parent.newSubManager();
    }

    /** Adds a tensor of Gaussian values times {@code scale} and returns them, row-major. */
    public float[] gaussian(String key, Random random, double scale, long... shape) {
        float[] v = new float[Math.toIntExact(new Shape(shape).size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * scale);
        }
        values.put(key, v);
        shapes.put(key, new Shape(shape));
        return v;
    }

    @Override
    public String name() {
        return "test-stage";
    }

    @Override
    public Config config() {
        return Config.empty("test");
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
        throw new UnsupportedOperationException("expert banks build no MoE layers");
    }

    @Override
    public String modelName() {
        return "test-model";
    }

    @Override
    public Set<String> keys() {
        return values.keySet();
    }

    @Override
    public boolean contains(String key) {
        return values.containsKey(key);
    }

    @Override
    public Shape shape(String key) {
        require(key);
        return shapes.get(key);
    }

    @Override
    public DataType storedType(String key) {
        require(key);
        return DataType.FLOAT32;
    }

    @Override
    public NDArray load(String key, NDManager target) {
        return target.create(require(key), shapes.get(key));
    }

    private float[] require(String key) {
        float[] v = values.get(key);
        if (v == null) {
            throw new ModelFormatException("model 'test-model': no tensor '" + key + "'");
        }
        return v;
    }
}
