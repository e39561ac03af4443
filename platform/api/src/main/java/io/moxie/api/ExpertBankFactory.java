package io.moxie.api;

import ai.djl.Device;

/**
 * Builds {@link ExpertBank}s of one implementation, registered as an OSGi service; pipeline definitions select it
 * by {@link #name()} ({@code experts: grouped-mlp}), or list it among alternatives in order of preference
 * ({@code experts: [grouped-mlp-blas, grouped-mlp]}).
 */
public interface ExpertBankFactory {

    /** Returns the implementation name, e.g. {@code mlp}. */
    String name();

    /**
     * Returns whether banks of this implementation can compute on {@code device} (the device a bank would be built
     * on, as {@link ComponentContext#device()} will say). When a stage lists several implementations, the kernel
     * skips those that answer false and builds the next one, so a CPU-only bank can come first in a list whose
     * fallback also runs on GPUs. An implementation named alone is built regardless, and its {@link #create} reports
     * why it cannot run. Called while pipelines are compiled: answer quickly, without allocating device memory. An
     * exception counts as false, and its message is reported if no listed implementation can serve.
     *
     * @return true by default: the bank runs wherever DJL does
     */
    default boolean supports(Device device) {
        return true;
    }

    /**
     * Builds the expert bank of one MoE layer, loading the experts' weights through the context.
     *
     * @throws ModelFormatException if an expert tensor is missing or mis-shaped
     */
    ExpertBank create(ComponentContext context, MoeSpec spec);
}
