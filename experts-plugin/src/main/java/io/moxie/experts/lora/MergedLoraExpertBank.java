package io.moxie.experts.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;
import io.moxie.blas.BlasLinear;

/**
 * {@code lora-merged}: once per request, {@code W' = W + (Σ_j w_j A_{e_j} B_{e_j})ᵀ} (one {@code [out, in]} array in
 * the request's memory), then {@code y = x W'ᵀ}, the cost of the base projection alone. Merging costs about one
 * {@code out × in × k·r} GEMM per projection and request, so it pays off once a request runs enough tokens through
 * the layer (a long prefill or generation). On the CPU the merge and the product run on OpenBLAS, like the base
 * product of {@code lora}.
 */
final class MergedLoraExpertBank extends LoraExpertBank {

    MergedLoraExpertBank(String layer, LoraWeights weights) {
        super(layer, weights);
    }

    @Override
    NDArray forwardSelected(NDArray x, SelectedArrays arrays) {
        if (weights.onBlas()) {
            // a view of the request's merged weight; building it costs microseconds
            return BlasLinear.of(arrays.merged(), null, BlasLinear.Split.SHARE_WEIGHT).apply(x);
        }
        return Linear.linear(x, arrays.merged()).singletonOrThrow();
    }

    @Override
    SelectedArrays prepare(LoraSelection selection, NDManager requestManager) {
        try (NDManager scratch = requestManager.newSubManager()) {
            NDArray concatA = weights.concatA(selection.experts(), scratch);
            NDArray scaledB = weights.scaledB(selection.experts(), selection.weights(), scratch);
            NDArray merged = weights.onBlas() ? weights.mergeOnBlas(concatA, scaledB, scratch)
                    : weights.merge(concatA, scaledB);
            merged.attach(requestManager);
            return new SelectedArrays(selection, null, null, merged);
        }
    }
}
