package io.moxie.experts;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.moxie.api.ExpertBank;
import io.moxie.api.InvalidInputException;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;

/**
 * Bookkeeping shared by the {@code mlp} banks, kept final so an execution strategy only writes the maths: checks the
 * input against the routing and the experts, runs the strategy in a scratch scope that borrows the caller's arrays,
 * and hands back only the result, attached to the request's manager.
 */
abstract class MlpExpertBank implements ExpertBank {
    private final String layer;
    final MlpExperts experts;

    MlpExpertBank(String layer, MlpExperts experts) {
        this.layer = layer;
        this.experts = experts;
    }

    @Override
    public final NDArray forward(NDArray x, Routing routing, RequestContext request) {
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
        try (NDManager scratch = request.manager().newSubManager()) {
            // Borrowed, not taken: the caller's arrays return to their managers when the scratch scope closes.
            x.tempAttach(scratch);
            routing.indices().tempAttach(scratch);
            routing.weights().tempAttach(scratch);
            NDArray y = combine(x, routing.indices(), routing.weights(), scratch);
            y.attach(request.manager());
            return y;
        }
    }

    /**
     * Computes {@code y[t] = Σ_j w[t,j] · expert_{idx[t,j]}(x[t])}.
     *
     * @param x {@code [T, dIn]} float32
     * @param indices {@code [T, k]} int64
     * @param weights {@code [T, k]} float32
     * @param scratch where every intermediate goes (the inputs are attached to it for the call)
     * @return {@code [T, dOut]} float32
     */
    abstract NDArray combine(NDArray x, NDArray indices, NDArray weights, NDManager scratch);

    @Override
    public final int numExperts() {
        return experts.numExperts();
    }
}
