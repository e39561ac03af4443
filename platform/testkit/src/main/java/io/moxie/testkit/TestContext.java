package io.moxie.testkit;

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
 * A component context over in-memory weights, for testing routers, expert banks and stages without a kernel. The
 * component's manager is a sub-manager of the test's; {@link #load} copies a weight into the manager asked for, as
 * the model repository does. MoE layers are not built here: test stages through a real {@code PipelineEngine}.
 */
public final class TestContext implements ComponentContext, ParameterStore {
    private final NDManager manager;
    private final Map<String, NDArray> weights = new LinkedHashMap<>();
    private Config config = Config.empty("test stage");
    private Device device;

    public TestContext(NDManager parent) {
        this.manager = parent.newSubManager();
    }

    /** Sets the stage configuration. */
    public TestContext withConfig(Map<String, ?> settings) {
        config = new Config(settings, "test stage");
        return this;
    }

    /**
     * Makes the context report {@code device} as the component's device while its memory stays on the test's manager:
     * for the checks a component makes of its device (a CPU-only expert bank refusing a GPU) on a machine without one.
     */
    public TestContext reportingDevice(Device reported) {
        device = reported;
        return this;
    }

    /** Adds (or replaces) a weight. */
    public TestContext put(String key, NDArray value) {
        weights.put(key, value);
        return this;
    }

    /** Adds a float32 weight of Gaussian values times {@code scale} and returns them, row-major. */
    public float[] gaussian(String key, Random random, double scale, long... shape) {
        float[] v = new float[Math.toIntExact(new Shape(shape).size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (random.nextGaussian() * scale);
        }
        put(key, manager.getParentManager().create(v, new Shape(shape)));
        return v;
    }

    /** Removes a weight, to test a missing key. */
    public void remove(String key) {
        weights.remove(key);
    }

    /** Returns a weight's values. */
    public float[] value(String key) {
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
        return device != null ? device : manager.getDevice();
    }

    @Override
    public MoeLayer moeLayer(MoeSpec spec) {
        throw new UnsupportedOperationException("a TestContext builds no MoE layers: test stages through a PipelineEngine");
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
            throw new ModelFormatException("model 'test-model': checkpoint has no tensor '" + key + "'");
        }
        return a;
    }
}
