package io.moxie.routers;

import io.moxie.api.ComponentContext;
import io.moxie.api.MoeSpec;
import io.moxie.api.Router;
import io.moxie.api.RouterFactory;
import org.osgi.service.component.annotations.Component;

/**
 * Builds {@code hash} routers: a deterministic, weight-free routing that ignores the hidden states. Token {@code t}
 * (its row in the layer's {@code [T, d]} input) goes to experts {@code (t·k + j) mod E} for slots
 * {@code j = 0..k-1}, each with weight {@code 1/k}. The {@code k} experts of a token are distinct ({@code k ≤ E}) and
 * consecutive tokens cycle through all experts, so every expert gets an equal share of a batch.
 *
 * <p>Useful as a baseline (what does the learned gate buy?) and as the observable alternative in swap tests: it
 * needs no checkpoint tensor, so it can replace {@code topk} in any pipeline.
 */
@Component(service = RouterFactory.class)
public final class HashRouterFactory implements RouterFactory {

    /** The name pipeline definitions use: {@code router: hash}. */
    public static final String NAME = "hash";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Router create(ComponentContext context, MoeSpec spec) {
        return new HashRouter(spec.numExperts(), spec.topK());
    }
}
