package io.moxie.routers.instance;

import ai.djl.ndarray.NDArray;
import io.moxie.api.InvalidInputException;
import io.moxie.api.MoxieException;
import io.moxie.api.RequestContext;
import io.moxie.api.Router;
import io.moxie.api.Routing;

/**
 * Octavius' instance router for one LoRA-MoE layer. Every layer of a model shares one gate weight, so all of them
 * share one decision per request, computed by whichever layer runs first and kept in the request's state under
 * {@link InstanceRouterFactory#gateStateKey}. Immutable, hence thread-safe.
 */
final class InstanceRouter implements Router {
    private final String layer;
    private final NDArray gate;
    private final int topK;
    private final String stateKey;
    private final String meanLogitsKey;

    /**
     * @param gate {@code w_gating} {@code [d, E]} float32, owned by the component's manager
     * @param stateKey where the request's decision is kept
     * @param meanLogitsKey where the decision's mean logits are published for the stage
     */
    InstanceRouter(String layer, NDArray gate, int topK, String stateKey, String meanLogitsKey) {
        this.layer = layer;
        this.gate = gate;
        this.topK = topK;
        this.stateKey = stateKey;
        this.meanLogitsKey = meanLogitsKey;
    }

    @Override
    public Routing route(NDArray hidden, RequestContext request) {
        if (hidden.getShape().dimension() != 2) {
            throw new InvalidInputException("MoE layer " + layer + ": router input must be [T, d], got "
                    + hidden.getShape());
        }
        // Read before computeIfAbsent below: the state map must not be touched from inside its own mapping function.
        NDArray instruction = request.computeIfAbsent(InstanceRouterFactory.INSTRUCTION_EMBEDDING, k -> null);
        InstanceGate decision = request.computeIfAbsent(stateKey, k -> {
            checkInstruction(instruction);
            return InstanceGate.compute(instruction, gate, topK, request.manager());
        });
        request.computeIfAbsent(meanLogitsKey, k -> decision.meanLogits());
        return decision.routing(hidden.getShape().get(0), request.manager());
    }

    private void checkInstruction(NDArray instruction) {
        long d = gate.getShape().get(0);
        if (instruction == null) {
            throw new MoxieException("MoE layer " + layer + ": the instance router needs the instruction's token "
                    + "embeddings in request state '" + InstanceRouterFactory.INSTRUCTION_EMBEDDING
                    + "', which the stage did not provide");
        }
        if (instruction.getShape().dimension() != 2 || instruction.getShape().get(0) < 1
                || instruction.getShape().get(1) != d) {
            throw new InvalidInputException("MoE layer " + layer + ": the instruction embedding must be [S >= 1, "
                    + d + "], got " + instruction.getShape());
        }
    }

    @Override
    public int numExperts() {
        return (int) gate.getShape().get(1);
    }

    @Override
    public int topK() {
        return topK;
    }
}
