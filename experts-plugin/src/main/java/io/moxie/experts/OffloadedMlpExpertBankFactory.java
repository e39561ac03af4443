package io.moxie.experts;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.moxie.api.ComponentContext;
import io.moxie.api.Config;
import io.moxie.api.ExpertBank;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.MoeSpec;
import io.moxie.api.MoxieException;
import org.osgi.service.component.annotations.Component;

/**
 * Expert bank {@code offloaded-mlp}: {@code mlp} experts kept in host memory, the hottest paged onto the compute
 * device under an LRU byte budget, with hit and miss counters. The budget is the stage setting
 * {@code offload_budget}: a share of the layer's expert bytes ({@code 50%}) or a size ({@code 512MiB}); default
 * {@code 100%} (every expert resident once used). Same numbers as {@code mlp} and {@code grouped-mlp}.
 */
@Component(service = ExpertBankFactory.class)
public final class OffloadedMlpExpertBankFactory implements ExpertBankFactory {

    /** The implementation name. */
    public static final String NAME = "offloaded-mlp";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ExpertBank create(ComponentContext context, MoeSpec spec) {
        // host copies live on the CPU whatever the compute device: that is what offloading means
        NDManager host = context.manager().newSubManager(Device.cpu());
        MlpExperts experts = MlpExperts.load(context, spec, host);
        long expertBytes = experts.expertBytes();
        long layerBytes = expertBytes * spec.numExperts();
        long budget = budget(context.config().getString("offload_budget", "100%"), layerBytes, spec.layer());
        if (budget < expertBytes) {
            throw new MoxieException("MoE layer " + spec.layer() + ": offload_budget of " + budget
                    + " bytes is smaller than one expert (" + expertBytes + " bytes)");
        }
        ExpertCache cache = new ExpertCache(budget, expertBytes, context.manager().newSubManager(context.device()),
                context.device(), experts::weights);
        return new OffloadedMlpExpertBank(spec.layer(), experts, cache);
    }

    static long budget(String setting, long layerBytes, String layer) {
        String s = setting.trim();
        try {
            if (s.endsWith("%")) {
                double pct = Double.parseDouble(s.substring(0, s.length() - 1));
                if (pct <= 0 || pct > 100) {
                    throw new NumberFormatException();
                }
                return (long) Math.ceil(layerBytes * pct / 100.0);
            }
            return Config.parseSize(s, "MoE layer " + layer + ": offload_budget");
        } catch (NumberFormatException e) {
            throw new MoxieException("MoE layer " + layer + ": offload_budget must be a share in (0%, 100%] or a size"
                    + " such as 512MiB, got '" + setting + "'");
        }
    }
}
