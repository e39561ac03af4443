package io.moxie.experts.lora;

import io.moxie.api.ComponentContext;
import io.moxie.api.ExpertBank;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.MoeSpec;
import org.osgi.service.component.annotations.Component;

/**
 * Builds {@code lora-merged} expert banks: the same LoRA-MoE projection and checkpoint keys as {@code lora}
 * ({@link LoraExpertBankFactory}), computed with one merged weight per request. Swap between the two at runtime to
 * trade the per-request merge (memory: one extra {@code [out, in]} array per projection and request) against the
 * per-token delta GEMMs.
 */
@Component(service = ExpertBankFactory.class)
public final class MergedLoraExpertBankFactory implements ExpertBankFactory {

    /** The name pipeline definitions use: {@code experts: lora-merged}. */
    public static final String NAME = "lora-merged";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ExpertBank create(ComponentContext context, MoeSpec spec) {
        return new MergedLoraExpertBank(spec.layer(), LoraWeights.load(context, spec));
    }
}
