package io.moxie.routers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.RequestContext;
import io.moxie.api.Router;
import io.moxie.api.Routing;

/** Round-robin routing by token position (see {@link HashRouterFactory}); stateless, hence thread-safe. */
final class HashRouter implements Router {
    private final int numExperts;
    private final int topK;

    HashRouter(int numExperts, int topK) {
        this.numExperts = numExperts;
        this.topK = topK;
    }

    @Override
    public Routing route(NDArray hidden, RequestContext request) {
        int tokens = Math.toIntExact(hidden.getShape().get(0));
        NDManager m = request.manager();
        NDArray indices;
        try (NDManager scratch = m.newSubManager()) {
            NDArray token = scratch.arange(0, tokens, 1, DataType.INT64).reshape(tokens, 1);
            NDArray slot = scratch.arange(0, topK, 1, DataType.INT64).reshape(1, topK);
            indices = token.mul(topK).add(slot).mod(numExperts);
            indices.attach(m);
        }
        NDArray weights = m.full(new Shape(tokens, topK), 1f / topK, DataType.FLOAT32);
        return new Routing(indices, weights, numExperts);
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
