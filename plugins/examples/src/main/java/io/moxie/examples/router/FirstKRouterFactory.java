package io.moxie.examples.router;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ComponentContext;
import io.moxie.api.MoeSpec;
import io.moxie.api.RequestContext;
import io.moxie.api.Router;
import io.moxie.api.RouterFactory;
import io.moxie.api.Routing;
import org.osgi.service.component.annotations.Component;

/**
 * A minimal third-party router, the template for writing your own: every token goes to experts {@code 0..k-1},
 * weighted by the softmax of the gate's logits over those {@code k} experts. It reads the same gate weight as the
 * built-in {@code topk} router, so it can replace it in any pipeline with a swap.
 *
 * <p>Packaging is all it takes to plug in: this class is a Declarative Services component providing
 * {@link RouterFactory}; build the bundle and drop its jar into the distribution's {@code plugins/} folder.
 */
@Component(service = RouterFactory.class)
public final class FirstKRouterFactory implements RouterFactory {

    /** The name pipeline definitions use: {@code router: first-k}. */
    public static final String NAME = "first-k";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Router create(ComponentContext context, MoeSpec spec) {
        // Weights belong to the context's manager: the kernel frees them when the pipeline version drains.
        NDArray gate = context.parameters().load(spec.gateKey(), context.manager());
        if (gate.getShape().dimension() != 2 || gate.getShape().get(0) != spec.numExperts()) {
            throw new io.moxie.api.ModelFormatException("gate '" + spec.gateKey() + "' must be [" + spec.numExperts()
                    + ", d], got " + gate.getShape());
        }
        return new FirstKRouter(gate.get(new NDIndex("0:{}", spec.topK())).transpose().toType(DataType.FLOAT32, false),
                spec.numExperts(), spec.topK());
    }

    private record FirstKRouter(NDArray gateT, int numExperts, int topK) implements Router {
        @Override
        public Routing route(NDArray hidden, RequestContext request) {
            NDManager m = request.manager();
            long tokens = hidden.getShape().get(0);
            NDArray weights = hidden.matMul(gateT).softmax(-1);
            NDArray indices = m.arange(0, topK, 1, DataType.INT64).expandDims(0).broadcast(new Shape(tokens, topK));
            weights.attach(m);
            return new Routing(indices, weights, numExperts);
        }
    }
}
