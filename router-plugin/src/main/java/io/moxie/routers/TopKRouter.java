package io.moxie.routers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;
import io.moxie.api.InvalidInputException;
import io.moxie.api.RequestContext;
import io.moxie.api.Router;
import io.moxie.api.Routing;

/** CuMo's top-k router over a linear gate; immutable after construction, hence thread-safe. */
final class TopKRouter implements Router {
    private final String layer;
    private final NDArray gate;
    private final int numExperts;
    private final int topK;

    /** @param gate {@code [E, dIn]} float32, owned by the component's manager */
    TopKRouter(String layer, NDArray gate, int topK) {
        this.layer = layer;
        this.gate = gate;
        this.numExperts = (int) gate.getShape().get(0);
        this.topK = topK;
    }

    @Override
    public Routing route(NDArray hidden, RequestContext request) {
        long inputSize = gate.getShape().get(1);
        if (hidden.getShape().dimension() != 2 || hidden.getShape().get(1) != inputSize) {
            throw new InvalidInputException("MoE layer " + layer + ": router input must be [T, " + inputSize
                    + "], got " + hidden.getShape());
        }
        // Logits and probabilities live in a scratch scope; only the routing outlives the call.
        try (NDManager scratch = request.manager().newSubManager()) {
            hidden.tempAttach(scratch);
            NDArray probabilities = Linear.linear(hidden, gate).singletonOrThrow().softmax(-1);
            NDList top = probabilities.topK(topK, -1, true, true);
            NDArray kept = top.get(0);
            NDArray weights = kept.div(kept.sum(new int[] {-1}, true));
            NDArray indices = top.get(1);
            weights.attach(request.manager());
            indices.attach(request.manager());
            return new Routing(indices, weights, numExperts);
        }
    }

    @Override
    public int numExperts() {
        return numExperts;
    }

    @Override
    public int topK() {
        return topK;
    }
}
