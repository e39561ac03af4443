package io.moxie.kernel.pipeline;

import ai.djl.ndarray.NDArray;
import io.moxie.api.ExpertBank;
import io.moxie.api.InvalidInputException;
import io.moxie.api.MoeLayer;
import io.moxie.api.MoeOutput;
import io.moxie.api.RequestContext;
import io.moxie.api.Router;
import io.moxie.api.Routing;

/** The kernel's MoE layer: route, record the routing, run the experts. */
final class KernelMoeLayer implements MoeLayer {
    private final String name;
    private final Router router;
    private final ExpertBank experts;

    KernelMoeLayer(String name, Router router, ExpertBank experts) {
        if (router.numExperts() != experts.numExperts()) {
            throw new IllegalStateException("MoE layer " + name + ": router has " + router.numExperts()
                    + " experts but the expert bank " + experts.numExperts());
        }
        this.name = name;
        this.router = router;
        this.experts = experts;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public MoeOutput forward(NDArray x, RequestContext request) {
        if (x.getShape().dimension() != 2) {
            throw new InvalidInputException("MoE layer " + name + ": input must be [T, d], got " + x.getShape());
        }
        Routing routing = router.route(x, request);
        if (routing.tokens() != x.getShape().get(0)) {
            throw new IllegalStateException("MoE layer " + name + ": router returned " + routing.tokens()
                    + " rows for " + x.getShape().get(0) + " tokens");
        }
        request.recordRouting(name, routing);
        return new MoeOutput(experts.forward(x, routing, request), routing);
    }

    @Override
    public Router router() {
        return router;
    }

    @Override
    public ExpertBank experts() {
        return experts;
    }
}
