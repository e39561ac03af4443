package io.moxie.experts.swiglu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.moxie.api.ExpertBank;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;
import io.moxie.experts.BankForward;

/**
 * Mixtral's sparse-MoE experts, run grouped: {@code y[t] = Σ_j w[t,j] · expert_{idx[t,j]}(x[t])} with
 * {@code expert_e(x) = w2_e(silu(w1_e x) ⊙ w3_e x)}; only the experts the routing names run, each once on all of its
 * rows. Immutable, hence thread-safe.
 */
final class SwigluExpertBank implements ExpertBank {
    private final BankForward call;
    private final SwigluExperts experts;

    SwigluExpertBank(String layer, SwigluExperts experts) {
        this.call = BankForward.ofMoeLayer(layer, experts.inputSize(), experts.numExperts());
        this.experts = experts;
    }

    @Override
    public NDArray forward(NDArray x, Routing routing, RequestContext request) {
        return call.run(x, routing, request, this::combine);
    }

    private NDArray combine(NDArray x, Routing routing, NDManager scratch) {
        ExpertGroups groups = ExpertGroups.of(routing.indices().toLongArray(), routing.topK(), experts.numExperts());
        return groups.combine(x, routing.weights(), experts::forward); // intermediates in x's manager: scratch
    }

    @Override
    public int numExperts() {
        return experts.numExperts();
    }
}
