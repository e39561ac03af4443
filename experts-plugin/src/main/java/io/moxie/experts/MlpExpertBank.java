package io.moxie.experts;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.moxie.api.ExpertBank;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;

/**
 * The {@code mlp} banks, an execution strategy each: the strategy writes only the maths ({@link #combine}), and
 * {@link BankForward} does the checks and the scratch scope around it.
 */
abstract class MlpExpertBank implements ExpertBank {
    private final BankForward call;
    final MlpExperts experts;

    MlpExpertBank(String layer, MlpExperts experts) {
        this.call = BankForward.ofMoeLayer(layer, experts.inputSize(), experts.numExperts());
        this.experts = experts;
    }

    @Override
    public final NDArray forward(NDArray x, Routing routing, RequestContext request) {
        return call.run(x, routing, request, (in, r, scratch) -> combine(in, r.indices(), r.weights(), scratch));
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
