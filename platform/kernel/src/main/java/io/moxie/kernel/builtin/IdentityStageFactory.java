package io.moxie.kernel.builtin;

import ai.djl.ndarray.NDArray;
import io.moxie.api.ComponentContext;
import io.moxie.api.RequestContext;
import io.moxie.api.Stage;
import io.moxie.api.StageFactory;
import io.moxie.api.TensorSpec;
import java.util.List;
import java.util.Map;

/**
 * The built-in {@code identity} stage: input {@code x} (any dtype and shape) comes back as output {@code x}.
 * Useful to measure what the platform itself costs (gateway, scheduling, tensor copies) and as a placeholder while
 * a pipeline is being assembled.
 */
public final class IdentityStageFactory implements StageFactory {

    /** The stage kind: {@code identity}. */
    public static final String KIND = "identity";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Stage create(ComponentContext context) {
        return new Stage() {
            @Override
            public List<TensorSpec> inputs() {
                return List.of(TensorSpec.any("x"));
            }

            @Override
            public List<TensorSpec> outputs() {
                return List.of(TensorSpec.any("x"));
            }

            @Override
            public List<TensorSpec> outputs(Map<String, TensorSpec> inputs) {
                TensorSpec x = inputs.get("x");
                return x == null ? outputs() : List.of(new TensorSpec("x", x.dataType(), x.shape()));
            }

            @Override
            public Map<String, NDArray> warmUpInputs(ai.djl.ndarray.NDManager manager) {
                return Map.of(); // the pipeline input's declared dtype and shape decide the warm-up zeros
            }

            @Override
            public Map<String, NDArray> run(Map<String, NDArray> inputs, RequestContext request) {
                NDArray x = inputs.get("x");
                return x == null ? Map.of() : Map.of("x", x); // an optional input the request did not give
            }
        };
    }
}
