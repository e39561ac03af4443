package io.moxie.experts;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.moxie.api.ExpertBank;
import io.moxie.api.MoxieException;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Grouped execution over offloaded experts: pairs sorted by expert, each active expert paged onto the device
 * (or found resident), run on its contiguous slice, released; outputs put back in pair order and combined.
 */
final class OffloadedMlpExpertBank implements ExpertBank {
    private final String layer;
    private final BankForward call;
    private final int numExperts;
    private final long outputSize;
    private final ExpertCache cache;
    private final BiFunction<NDArray[], NDArray, NDArray> expert;

    OffloadedMlpExpertBank(String layer, int numExperts, long inputSize, long outputSize, ExpertCache cache,
                           BiFunction<NDArray[], NDArray, NDArray> expert) {
        this.layer = layer;
        this.call = BankForward.ofMoeLayer(layer, inputSize, numExperts);
        this.numExperts = numExperts;
        this.outputSize = outputSize;
        this.cache = cache;
        this.expert = expert;
    }

    @Override
    public NDArray forward(NDArray x, Routing routing, RequestContext request) {
        return call.run(x, routing, request, this::combine);
    }

    private NDArray combine(NDArray x, Routing routing, NDManager scratch) {
        long tokens = x.getShape().get(0);
        int k = routing.topK();
        NDArray expertOfPair = routing.indices().reshape(tokens * k);
        NDArray order = expertOfPair.argSort(0, true);
        long[] load = expertOfPair.oneHot(numExperts, DataType.INT64).sum(new int[] {0}).toLongArray();
        NDArray tokenOfPair = scratch.arange(0, Math.toIntExact(tokens), 1, DataType.INT64).repeat(0, k);
        NDArray grouped = x.get(new NDIndex("{}", tokenOfPair.get(new NDIndex("{}", order))));
        NDList outputs = new NDList();
        long start = 0;
        for (int e = 0; e < load.length; e++) {
            if (load[e] == 0) {
                continue;
            }
            outputs.add(runResident(e, grouped.get(new NDIndex("{}:{}", start, start + load[e]))));
            start += load[e];
        }
        NDArray sorted = outputs.size() == 1 ? outputs.head() : NDArrays.concat(outputs);
        return sorted.get(new NDIndex("{}", order.argSort(0, true))).reshape(tokens, k, outputSize)
                .mul(routing.weights().expandDims(2)).sum(new int[] {1});
    }

    /** Runs expert {@code e} on {@code rows}, pinned on the device for the call. */
    private NDArray runResident(int e, NDArray rows) {
        try {
            NDArray[] weights = cache.acquire(e);
            try {
                return expert.apply(weights, rows);
            } finally {
                cache.release(e);
            }
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new MoxieException("MoE layer " + layer + ": interrupted while paging experts in");
        }
    }

    @Override
    public int numExperts() {
        return numExperts;
    }

    @Override
    public Map<String, Long> counters() {
        return cache.counters();
    }
}
