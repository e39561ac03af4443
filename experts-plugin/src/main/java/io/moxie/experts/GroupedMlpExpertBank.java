package io.moxie.experts;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;

/**
 * Grouped execution: the {@code T·k} (token, slot) pairs are sorted by expert so each active expert runs one
 * {@code fc1}/{@code fc2} GEMM pair on a contiguous slice of gathered rows; the outputs are then put back in pair
 * order and combined with one weighted reduction over the slots.
 *
 * <p>The combine is the un-permuted form of the usual weighted scatter-add ({@code index_add}): every token owns
 * exactly {@code k} pairs, so gathering the outputs back by the inverse permutation and summing {@code k} weighted
 * rows per token gives the same sum without a scatter, and deterministically.
 */
final class GroupedMlpExpertBank extends MlpExpertBank {
    private final ExpertRun run;

    /** Runs expert {@code e} on its rows {@code [n, dIn]}; the result belongs to the rows' manager. */
    @FunctionalInterface
    interface ExpertRun {
        NDArray apply(int e, NDArray rows);
    }

    GroupedMlpExpertBank(String layer, MlpExperts experts) {
        this(layer, experts, experts::forward);
    }

    /** @param run runs an expert on its rows (the offloaded bank pages the expert in around it) */
    GroupedMlpExpertBank(String layer, MlpExperts experts, ExpertRun run) {
        super(layer, experts);
        this.run = run;
    }

    @Override
    NDArray combine(NDArray x, NDArray indices, NDArray weights, NDManager scratch) {
        long tokens = x.getShape().get(0);
        int k = Math.toIntExact(indices.getShape().get(1));
        NDArray expertOfPair = indices.reshape(tokens * k); // pair p = t·k + j
        NDArray order = expertOfPair.argSort(0, true); // pairs grouped by expert
        long[] load = expertOfPair.oneHot(experts.numExperts(), DataType.INT64).sum(new int[] {0}).toLongArray();
        NDArray tokenOfPair = scratch.arange(0, Math.toIntExact(tokens), 1, DataType.INT64).repeat(0, k);
        NDArray grouped = x.get(new NDIndex("{}", tokenOfPair.get(new NDIndex("{}", order))));

        NDList outputs = new NDList();
        long start = 0;
        for (int e = 0; e < load.length; e++) {
            if (load[e] > 0) {
                outputs.add(run.apply(e, grouped.get(new NDIndex("{}:{}", start, start + load[e]))));
                start += load[e];
            }
        }
        NDArray sorted = outputs.size() == 1 ? outputs.head() : NDArrays.concat(outputs);
        NDArray inPairOrder = sorted.get(new NDIndex("{}", order.argSort(0, true)))
                .reshape(tokens, k, experts.outputSize());
        return inPairOrder.mul(weights.expandDims(2)).sum(new int[] {1});
    }
}
