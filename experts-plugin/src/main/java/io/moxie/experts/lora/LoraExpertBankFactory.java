package io.moxie.experts.lora;

import io.moxie.api.ComponentContext;
import io.moxie.api.ExpertBank;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.MoeSpec;
import org.osgi.service.component.annotations.Component;

/**
 * Builds {@code lora} expert banks: one LoRA-MoE projection, the base output plus the deltas of the chosen experts.
 * The spec names three tensors by role, without {@code {e}}: {@code base} (the frozen projection {@code [out, in]},
 * e.g. {@code model.layers.0.self_attn.q_proj.weight}), {@code A} ({@code [E, in, r]}, e.g.
 * {@code llama_model.base_model.model.model.layers.0.self_attn.q_proj.lora_moe_A.default}) and {@code B}
 * ({@code [E, r, out]}). No {@code lora_alpha / r} scaling is applied, as in the authors' code.
 */
@Component(service = ExpertBankFactory.class)
public final class LoraExpertBankFactory implements ExpertBankFactory {

    /** The name pipeline definitions use: {@code experts: lora}. */
    public static final String NAME = "lora";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ExpertBank create(ComponentContext context, MoeSpec spec) {
        return new UnmergedLoraExpertBank(spec.layer(), LoraWeights.load(context, spec));
    }
}
