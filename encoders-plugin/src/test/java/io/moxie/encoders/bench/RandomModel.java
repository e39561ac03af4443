package io.moxie.encoders.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.Config;
import io.moxie.api.ModelFormatException;
import io.moxie.api.ParameterStore;
import io.moxie.kernel.model.Model;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A model whose float32 weights are drawn when loaded (uniform, variance {@code 1/fan_in}; LayerNorm weights 1), from
 * a seed per key: a benchmark gets real-sized weights without a gigabyte checkpoint on disk.
 */
final class RandomModel implements Model {
    private final String name;
    private final Config config;
    private final Map<String, Shape> shapes;

    RandomModel(String name, Map<String, ?> config, Map<String, Shape> shapes) {
        this.name = name;
        this.config = new Config(config, "random model '" + name + "'");
        this.shapes = new LinkedHashMap<>(shapes);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Path directory() {
        return Path.of(name);
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    public long parameterBytes() {
        return shapes.values().stream().mapToLong(s -> s.size() * 4).sum();
    }

    @Override
    public ParameterStore parameters() {
        return new ParameterStore() {
            @Override
            public String modelName() {
                return name;
            }

            @Override
            public Set<String> keys() {
                return shapes.keySet();
            }

            @Override
            public boolean contains(String key) {
                return shapes.containsKey(key);
            }

            @Override
            public Shape shape(String key) {
                Shape s = shapes.get(key);
                if (s == null) {
                    throw new ModelFormatException("random model '" + name + "' has no tensor '" + key + "'");
                }
                return s;
            }

            @Override
            public DataType storedType(String key) {
                return DataType.FLOAT32;
            }

            @Override
            public NDArray load(String key, NDManager manager) {
                Shape shape = shape(key);
                ByteBuffer bytes = manager.allocateDirect(Math.toIntExact(shape.size() * 4))
                        .order(ByteOrder.nativeOrder());
                FloatBuffer values = bytes.asFloatBuffer();
                boolean unitNorm = key.endsWith("norm1.weight") || key.endsWith("norm2.weight")
                        || key.endsWith("layrnorm.weight") || key.endsWith("layernorm.weight");
                SplittableRandom random = new SplittableRandom(key.hashCode());
                double bound = Math.sqrt(3.0 / (shape.dimension() > 1 ? shape.size() / shape.get(0) : shape.get(0)));
                for (int i = 0; i < values.capacity(); i++) {
                    values.put(i, unitNorm ? 1f : (float) random.nextDouble(-bound, bound));
                }
                return manager.create(bytes, shape, DataType.FLOAT32);
            }
        };
    }

    @Override
    public void close() {
        // nothing mapped
    }
}
