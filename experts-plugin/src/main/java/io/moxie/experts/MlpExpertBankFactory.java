package io.moxie.experts;

import io.moxie.api.ComponentContext;
import io.moxie.api.ExpertBank;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.MoeSpec;
import org.osgi.service.component.annotations.Component;

/**
 * Builds {@code mlp} expert banks executed per expert, as the CuMo authors do: for each expert, gather the tokens
 * that chose it, run {@code fc2(act(fc1(x)))}, scale by the routing weight and add back.
 *
 * <p>Spec: expert key roles {@code fc1.weight} {@code [I, dIn]}, {@code fc1.bias} {@code [I]}, {@code fc2.weight}
 * {@code [dOut, I]}, {@code fc2.bias} {@code [dOut]}; options {@code activation} ({@code quick_gelu} or {@code gelu},
 * required) and {@code input_size} (optional check of {@code dIn}). Weights are loaded once into the component's
 * manager; a missing or mis-shaped tensor fails {@link #create} with a {@code ModelFormatException} naming its key.
 */
@Component(service = ExpertBankFactory.class)
public final class MlpExpertBankFactory implements ExpertBankFactory {

    /** The name pipeline definitions use: {@code experts: mlp}. */
    public static final String NAME = "mlp";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ExpertBank create(ComponentContext context, MoeSpec spec) {
        return new LoopMlpExpertBank(spec.layer(), MlpExperts.load(context, spec));
    }
}
