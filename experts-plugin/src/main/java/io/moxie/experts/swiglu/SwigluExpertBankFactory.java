package io.moxie.experts.swiglu;

import io.moxie.api.ComponentContext;
import io.moxie.api.ExpertBank;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.MoeSpec;
import org.osgi.service.component.annotations.Component;

/**
 * Builds {@code swiglu} expert banks (Mixtral's {@code block_sparse_moe.experts}). The spec names the expert tensors
 * by role with {@code {e}} templates: {@code w1} (gate) and {@code w3} (up) {@code [I, d]}, {@code w2} (down)
 * {@code [d, I]}, e.g. {@code model.layers.3.block_sparse_moe.experts.{e}.w1.weight}. The option
 * {@code activation}, when given, must be {@code silu}.
 */
@Component(service = ExpertBankFactory.class)
public final class SwigluExpertBankFactory implements ExpertBankFactory {

    /** The name pipeline definitions use: {@code experts: swiglu}. */
    public static final String NAME = "swiglu";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ExpertBank create(ComponentContext context, MoeSpec spec) {
        return new SwigluExpertBank(spec.layer(), SwigluExperts.load(context, spec));
    }
}
