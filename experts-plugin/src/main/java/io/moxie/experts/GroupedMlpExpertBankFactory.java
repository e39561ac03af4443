package io.moxie.experts;

import io.moxie.api.ComponentContext;
import io.moxie.api.ExpertBank;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.MoeSpec;
import org.osgi.service.component.annotations.Component;

/**
 * Builds {@code grouped-mlp} expert banks: the same experts and numbers as {@code mlp} (within float32 round-off),
 * executed by sorting the routed (token, slot) pairs by expert and running one GEMM pair per active expert on a
 * contiguous slice. Spec, weights and errors as for {@link MlpExpertBankFactory}.
 */
@Component(service = ExpertBankFactory.class)
public final class GroupedMlpExpertBankFactory implements ExpertBankFactory {

    /** The name pipeline definitions use: {@code experts: grouped-mlp}. */
    public static final String NAME = "grouped-mlp";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ExpertBank create(ComponentContext context, MoeSpec spec) {
        return new GroupedMlpExpertBank(spec.layer(), MlpExperts.load(context, spec));
    }
}
