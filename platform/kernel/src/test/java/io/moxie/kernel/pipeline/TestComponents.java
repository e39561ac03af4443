package io.moxie.kernel.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.moxie.api.ComponentContext;
import io.moxie.api.Config;
import io.moxie.api.MoxieException;
import io.moxie.api.RequestContext;
import io.moxie.api.Stage;
import io.moxie.api.StageFactory;
import io.moxie.api.TensorSpec;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** Small real components for engine tests: they allocate real DJL memory through their context. */
final class TestComponents {
    private TestComponents() {
    }

    /** {@code y = x * factor}; keeps its factor as a tensor in the component's memory scope. */
    static final class ScaleFactory implements StageFactory {
        final float factor;
        final AtomicInteger built = new AtomicInteger();

        ScaleFactory(float factor) {
            this.factor = factor;
        }

        @Override
        public String kind() {
            return "scale";
        }

        @Override
        public Stage create(ComponentContext context) {
            built.incrementAndGet();
            Config c = context.config();
            float f = (float) c.getDouble("factor", factor);
            NDArray weight = context.manager().create(f);
            return new Stage() {
                @Override
                public List<TensorSpec> inputs() {
                    return List.of(new TensorSpec("x", DataType.FLOAT32, new long[] {-1}));
                }

                @Override
                public List<TensorSpec> outputs() {
                    return List.of(new TensorSpec("y", DataType.FLOAT32, new long[] {-1}));
                }

                @Override
                public Map<String, NDArray> run(Map<String, NDArray> inputs, RequestContext request) {
                    return Map.of("y", inputs.get("x").mul(weight));
                }
            };
        }
    }

    /** A stage kind whose build always fails, like a plugin with a bug. */
    static final class BrokenFactory implements StageFactory {
        @Override
        public String kind() {
            return "scale";
        }

        @Override
        public Stage create(ComponentContext context) {
            context.manager().zeros(new ai.djl.ndarray.types.Shape(1000)); // allocated, must be freed on failure
            throw new MoxieException("broken on purpose");
        }
    }
}
