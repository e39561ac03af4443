package io.moxie.experts.swiglu;

import io.moxie.api.ComponentContext;
import io.moxie.api.ExpertBank;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.MoeSpec;
import io.moxie.experts.blas.BlasExpertBankFactory;
import org.osgi.service.component.annotations.Component;

/**
 * Builds {@code swiglu-blas} expert banks: Mixtral's experts as {@code swiglu} has them (same spec, keys, options and
 * errors, same numbers within float32 round-off), every GEMM on OpenBLAS, the fastest float32 GEMM reachable from the
 * JVM on AMD CPUs (about twice DJL's there; on Intel CPUs DJL's MKL is about as fast). Swappable with {@code swiglu}
 * at runtime.
 *
 * <p>CPU only: on a GPU device {@link #create} refuses (use {@code swiglu}). If OpenBLAS cannot be loaded (no native
 * library for this platform), {@link #create} fails with a message saying so and naming {@code swiglu}. In both cases
 * {@link #supports} is false, so a stage listing {@code [swiglu-blas, swiglu]} builds {@code swiglu} instead.
 */
@Component(service = ExpertBankFactory.class)
public final class BlasSwigluExpertBankFactory extends BlasExpertBankFactory {

    /** The name pipeline definitions use: {@code experts: swiglu-blas}. */
    public static final String NAME = "swiglu-blas";

    public BlasSwigluExpertBankFactory() {
        super(NAME, SwigluExpertBankFactory.NAME);
    }

    @Override
    protected ExpertBank build(ComponentContext context, MoeSpec spec) {
        return new BlasSwigluExpertBank(spec.layer(), SwigluExperts.load(context, spec));
    }
}
