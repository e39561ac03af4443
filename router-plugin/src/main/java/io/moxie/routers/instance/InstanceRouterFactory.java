package io.moxie.routers.instance;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ComponentContext;
import io.moxie.api.ModelFormatException;
import io.moxie.api.MoeSpec;
import io.moxie.api.RequestKeys;
import io.moxie.api.MoxieException;
import io.moxie.api.Router;
import io.moxie.api.RouterFactory;
import org.osgi.service.component.annotations.Component;

/**
 * Builds {@code instance} routers: Octavius' per-request gate. One decision per request from the instruction, the
 * same {@code k} experts and weights for every token (prompt and generated) of every layer that uses the gate.
 *
 * <p><b>Gate.</b> {@link MoeSpec#gateKey()} names {@code w_gating} in the authors' layout {@code [d, E]} (not the
 * {@code [E, d]} of a linear gate), e.g. {@code gating_network.w_gating}. With {@code X} the instruction's token
 * embeddings {@code [S, d]}: {@code l = mean_s (X · w_gating)[s]}, {@code p = softmax(l)}, the {@code k} most probable
 * experts best first, weights {@code p_j / (Σ_chosen p + 1e-9)}.
 *
 * <p><b>How the instruction arrives (request-state contract).</b> The router does not look at the hidden states it
 * routes (only at their row count). Before the first layer using the gate runs, the stage stores the instruction's
 * token embeddings, an {@code NDArray} {@code [S, d]} float32 attached to the request's manager, in the request's
 * state under {@link #INSTRUCTION_EMBEDDING}, with {@code request.computeIfAbsent(INSTRUCTION_EMBEDDING, k ->
 * embedding)}. A request without it fails with a message naming the key.
 *
 * <p><b>What the router leaves in the request's state.</b> The decision, shared by every layer whose gate key and
 * model are the same, under {@link #gateStateKey}; and the token-mean logits before the softmax ({@code [E]} float32,
 * the request's manager owns them) under {@link #meanLogitsKey}, for stages that report them
 * ({@code lora_gate_mean_logits}).
 */
@Component(service = RouterFactory.class)
public final class InstanceRouterFactory implements RouterFactory {

    /** The name pipeline definitions use: {@code router: instance}. */
    public static final String NAME = "instance";

    /** Request-state key of the instruction's token embeddings {@code [S, d]} float32, set by the stage. */
    public static final String INSTRUCTION_EMBEDDING = RequestKeys.INSTRUCTION_EMBEDDING;

    @Override
    public String name() {
        return NAME;
    }

    /** Returns the request-state key of the decision for a model's gate. */
    public static String gateStateKey(String model, String gateKey) {
        return "moxie.instance_gate:" + model + ":" + gateKey;
    }

    /** Returns the request-state key where the router publishes the token-mean gate logits {@code [E]}. */
    public static String meanLogitsKey(String model, String gateKey) {
        return RequestKeys.instanceGateMeanLogits(model, gateKey);
    }

    @Override
    public Router create(ComponentContext context, MoeSpec spec) {
        String key = spec.gateKey();
        if (key == null) {
            throw new MoxieException("MoE layer " + spec.layer() + ": the instance router needs a gate key");
        }
        Shape shape = context.parameters().shape(key);
        if (shape.dimension() != 2 || shape.get(1) != spec.numExperts()) {
            throw new ModelFormatException("model '" + context.parameters().modelName() + "': gate '" + key
                    + "' of MoE layer " + spec.layer() + " has shape " + shape + ", expected [hidden, "
                    + spec.numExperts() + "] (w_gating, [in, experts])");
        }
        NDArray gate = context.parameters().load(key, shape, context.manager());
        String model = context.parameters().modelName();
        return new InstanceRouter(spec.layer(), gate, spec.topK(), gateStateKey(model, key), meanLogitsKey(model, key));
    }
}
