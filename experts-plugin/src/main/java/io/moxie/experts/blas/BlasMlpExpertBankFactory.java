package io.moxie.experts.blas;

import io.moxie.api.ComponentContext;
import io.moxie.api.ExpertBank;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.MoeSpec;
import io.moxie.experts.GroupedMlpExpertBankFactory;
import org.osgi.service.component.annotations.Component;

/**
 * Builds {@code grouped-mlp-blas} expert banks: the {@code mlp} experts (same spec, weights, options and errors as
 * {@code mlp} and {@code grouped-mlp}, same numbers within float32 round-off) executed grouped by expert with every
 * GEMM on OpenBLAS, the fastest float32 GEMM reachable from the JVM on AMD CPUs (about twice DJL's {@code matMul}
 * there; on Intel CPUs DJL's MKL is about as fast).
 *
 * <p>CPU only: on a GPU device {@link #create} refuses (the DJL banks run there). If OpenBLAS cannot be loaded (the
 * native library is missing for this platform), {@link #create} fails with a message saying so and naming
 * {@code grouped-mlp} as the alternative. In both cases {@link #supports} is false, so a stage listing
 * {@code [grouped-mlp-blas, grouped-mlp]} builds {@code grouped-mlp} instead. The GEMM code is the host's shared {@code io.moxie.blas}.
 */
@Component(service = ExpertBankFactory.class)
public final class BlasMlpExpertBankFactory extends BlasExpertBankFactory {

    /** The name pipeline definitions use: {@code experts: grouped-mlp-blas}. */
    public static final String NAME = "grouped-mlp-blas";

    public BlasMlpExpertBankFactory() {
        super(NAME, GroupedMlpExpertBankFactory.NAME);
    }

    @Override
    protected ExpertBank build(ComponentContext context, MoeSpec spec) {
        return new BlasMlpExpertBank(spec.layer(), BlasMlpExperts.load(context, spec));
    }
}
