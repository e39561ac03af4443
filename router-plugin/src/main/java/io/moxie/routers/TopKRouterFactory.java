package io.moxie.routers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ComponentContext;
import io.moxie.api.ModelFormatException;
import io.moxie.api.MoeSpec;
import io.moxie.api.MoxieException;
import io.moxie.api.Router;
import io.moxie.api.RouterFactory;
import org.osgi.service.component.annotations.Component;

/**
 * Builds {@code topk} routers: {@code logits = h · gateᵀ} with the gate {@code [E, dIn]} stored under
 * {@link MoeSpec#gateKey()} (no bias), softmax in float32, the {@code k} most probable experts in descending order,
 * their probabilities renormalised to sum to 1 (README §4.3 of the CuMo reference).
 *
 * <p>{@code dIn} comes from the spec option {@code input_size} when present (and the gate must agree), otherwise
 * from the gate itself. The gate is loaded once into the component's manager.
 */
@Component(service = RouterFactory.class)
public final class TopKRouterFactory implements RouterFactory {

    /** The name pipeline definitions use: {@code router: topk}. */
    public static final String NAME = "topk";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Router create(ComponentContext context, MoeSpec spec) {
        String key = spec.gateKey();
        if (key == null) {
            throw new MoxieException("MoE layer " + spec.layer() + ": the topk router needs a gate key");
        }
        Shape shape = context.parameters().shape(key);
        long inputSize = inputSize(spec);
        if (shape.dimension() != 2 || shape.get(0) != spec.numExperts() || inputSize >= 0 && shape.get(1) != inputSize) {
            throw new ModelFormatException("model '" + context.parameters().modelName() + "': gate '" + key
                    + "' of MoE layer " + spec.layer() + " has shape " + shape + ", expected [num_experts, input_size] = ["
                    + spec.numExperts() + ", " + (inputSize >= 0 ? Long.toString(inputSize) : "d") + "]");
        }
        NDArray gate = context.parameters().load(key, shape, context.manager());
        return new TopKRouter(spec.layer(), gate, spec.topK());
    }

    /** Returns the option {@code input_size}, or -1 when absent (the gate then decides). */
    private static long inputSize(MoeSpec spec) {
        String option = spec.option("input_size", null);
        if (option == null) {
            return -1;
        }
        try {
            return Long.parseLong(option);
        } catch (NumberFormatException e) {
            throw new MoxieException("MoE layer " + spec.layer() + ": option input_size must be an integer, got '"
                    + option + "'");
        }
    }
}
