package io.moxie.bench;

import ai.djl.ndarray.NDArray;
import io.moxie.api.ExpertBank;
import io.moxie.api.MoeLayer;
import io.moxie.api.MoeOutput;
import io.moxie.api.RequestContext;
import io.moxie.api.Router;
import io.moxie.api.Routing;

/**
 * Route, record, run the experts: what the kernel's MoE layer does, without its checks. The kernel's own layer is
 * built only inside a pipeline (package-private there, and the testkit builds no MoE layers on purpose), and these few
 * lines are not worth widening the kernel's API for.
 */
final class BenchMoeLayer implements MoeLayer {
    private final String name;
    private final Router router;
    private final ExpertBank experts;

    BenchMoeLayer(String name, Router router, ExpertBank experts) {
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
        Routing routing = router.route(x, request);
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
