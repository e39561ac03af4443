package io.moxie.experts.swiglu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.moxie.api.ExpertBank;
import io.moxie.api.InvalidInputException;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;

/**
 * Mixtral's sparse-MoE experts, run grouped: {@code y[t] = Σ_j w[t,j] · expert_{idx[t,j]}(x[t])} with
 * {@code expert_e(x) = w2_e(silu(w1_e x) ⊙ w3_e x)}; only the experts the routing names run, each once on all of its
 * rows. Immutable, hence thread-safe.
 */
final class SwigluExpertBank implements ExpertBank {
    private final String layer;
    private final SwigluExperts experts;

    SwigluExpertBank(String layer, SwigluExperts experts) {
        this.layer = layer;
        this.experts = experts;
    }

    @Override
    public NDArray forward(NDArray x, Routing routing, RequestContext request) {
        if (x.getDataType() != DataType.FLOAT32 || x.getShape().dimension() != 2
                || x.getShape().get(1) != experts.inputSize()) {
            throw new InvalidInputException("MoE layer " + layer + ": expert input must be float32 [T, "
                    + experts.inputSize() + "], got " + x.getDataType() + " " + x.getShape());
        }
        if (routing.tokens() != x.getShape().get(0) || routing.numExperts() != experts.numExperts()) {
            throw new IllegalArgumentException("MoE layer " + layer + ": routing of " + routing.tokens()
                    + " tokens over " + routing.numExperts() + " experts does not fit input " + x.getShape()
                    + " and " + experts.numExperts() + " experts");
        }
        ExpertGroups groups = ExpertGroups.of(routing.indices().toLongArray(), routing.topK(), experts.numExperts());
        try (NDManager scratch = request.manager().newSubManager()) {
            // Borrowed, not taken: the caller's arrays return to their managers when the scratch scope closes.
            x.tempAttach(scratch);
            routing.weights().tempAttach(scratch);
            NDArray y = groups.combine(x, routing.weights(), experts::forward);
            y.attach(request.manager());
            return y;
        }
    }

    @Override
    public int numExperts() {
        return experts.numExperts();
    }
}
