package io.moxie.experts;

import ai.djl.ndarray.NDArray;
import io.moxie.api.ExpertBank;
import io.moxie.api.MoxieException;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;
import java.util.Map;

/**
 * {@code grouped-mlp} over offloaded experts: each active expert is paged onto the device (or found resident) for
 * the run on its contiguous slice, then released.
 */
final class OffloadedMlpExpertBank implements ExpertBank {
    private final String layer;
    private final MlpExperts experts;
    private final ExpertCache cache;
    private final ExpertBank grouped;

    /** @param experts the host copies, which {@code cache} pages onto the device */
    OffloadedMlpExpertBank(String layer, MlpExperts experts, ExpertCache cache) {
        this.layer = layer;
        this.experts = experts;
        this.cache = cache;
        this.grouped = new GroupedMlpExpertBank(layer, experts, this::runResident);
    }

    @Override
    public NDArray forward(NDArray x, Routing routing, RequestContext request) {
        return grouped.forward(x, routing, request);
    }

    /** Runs expert {@code e} on {@code rows}, pinned on the device for the run. */
    private NDArray runResident(int e, NDArray rows) {
        try {
            NDArray[] weights = cache.acquire(e);
            try {
                return experts.forward(weights, rows);
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
        return grouped.numExperts();
    }

    @Override
    public Map<String, Long> counters() {
        return cache.counters();
    }
}
