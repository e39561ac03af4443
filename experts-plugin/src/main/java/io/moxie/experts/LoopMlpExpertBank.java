package io.moxie.experts;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * The authors' execution (CuMo {@code moe_forward}): for each expert, gather the tokens that chose it, run it on
 * them, scale by their weights and add the result back into the tokens' rows.
 */
final class LoopMlpExpertBank extends MlpExpertBank {

    LoopMlpExpertBank(String layer, MlpExperts experts) {
        super(layer, experts);
    }

    @Override
    NDArray combine(NDArray x, NDArray indices, NDArray weights, NDManager scratch) {
        long tokens = x.getShape().get(0);
        long k = indices.getShape().get(1);
        NDArray y = scratch.zeros(new Shape(tokens, experts.outputSize()));
        NDArray flatWeights = weights.reshape(tokens * k);
        for (int e = 0; e < experts.numExperts(); e++) {
            NDArray hits = indices.eq(e).nonzero(); // [n, 2]: (token, slot) of every pair routed to e
            if (hits.getShape().get(0) == 0) {
                continue;
            }
            NDArray rows = hits.get(new NDIndex(":, 0"));
            NDArray slots = hits.get(new NDIndex(":, 1"));
            NDArray w = flatWeights.get(new NDIndex("{}", rows.mul(k).add(slots))).expandDims(1);
            NDIndex tokenRows = new NDIndex("{}", rows);
            NDArray out = experts.forward(e, x.get(tokenRows)).mul(w);
            // A token picks an expert at most once, so its rows are distinct: gather-add-put is an index_add.
            y.set(tokenRows, y.get(tokenRows).add(out));
        }
        return y;
    }
}
