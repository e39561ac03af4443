package io.moxie.experts.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * {@code lora}: the base projection plus the deltas of the chosen experts only, {@code x Wᵀ + (x [A_1 … A_k])
 * [w_1 B_1; …; w_k B_k]}: three GEMMs per call whatever {@code k}, the stacked {@code A} and scaled {@code B} built
 * once per request. On the CPU all three run on OpenBLAS ({@link BlasLora} for the two small ones).
 */
final class UnmergedLoraExpertBank extends LoraExpertBank {

    UnmergedLoraExpertBank(String layer, LoraWeights weights) {
        super(layer, weights);
    }

    @Override
    NDArray forwardSelected(NDArray x, SelectedArrays arrays) {
        NDArray y = weights.baseForward(x);
        if (weights.onBlas()) {
            BlasLora.addTo(y, x, arrays.concatA(), arrays.scaledB());
            return y;
        }
        return y.addi(x.matMul(arrays.concatA()).matMul(arrays.scaledB()));
    }

    @Override
    SelectedArrays prepare(LoraSelection selection, NDManager requestManager) {
        return new SelectedArrays(selection, weights.concatA(selection.experts(), requestManager),
                weights.scaledB(selection.experts(), selection.weights(), requestManager), null);
    }
}
