package io.moxie.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.moxie.api.ComponentContext;
import io.moxie.api.Config;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.MoeLayer;
import io.moxie.api.MoeSpec;
import io.moxie.api.ParameterStore;
import io.moxie.api.RouterFactory;
import io.moxie.routers.TopKRouterFactory;
import java.util.Map;

/**
 * A component built outside a pipeline: its weights come from a store, its memory is a sub-manager of the caller's
 * (closed by the caller), and its MoE layers use a chosen router ({@code topk} unless told) and expert bank, as the
 * kernel would wire them.
 */
final class BenchComponent implements ComponentContext {
    private final String name;
    private final ParameterStore parameters;
    private final NDManager manager;
    private final RouterFactory router;
    private final ExpertBankFactory experts;
    private final Config config;

    BenchComponent(String name, ParameterStore parameters, NDManager parent, ExpertBankFactory experts) {
        this(name, parameters, parent, new TopKRouterFactory(), experts, Map.of());
    }

    BenchComponent(String name, ParameterStore parameters, NDManager parent, RouterFactory router,
                   ExpertBankFactory experts) {
        this(name, parameters, parent, router, experts, Map.of());
    }

    BenchComponent(String name, ParameterStore parameters, NDManager parent, ExpertBankFactory experts,
                   Map<String, ?> settings) {
        this(name, parameters, parent, new TopKRouterFactory(), experts, settings);
    }

    /** @param settings the stage settings the component sees as its configuration (e.g. {@code offload_budget}) */
    BenchComponent(String name, ParameterStore parameters, NDManager parent, RouterFactory router,
                   ExpertBankFactory experts, Map<String, ?> settings) {
        this.name = name;
        this.parameters = parameters;
        this.manager = parent.newSubManager();
        this.router = router;
        this.experts = experts;
        this.config = new Config(settings, name);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Config config() {
        return config;
    }

    @Override
    public ParameterStore parameters() {
        return parameters;
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public Device device() {
        return manager.getDevice();
    }

    @Override
    public MoeLayer moeLayer(MoeSpec spec) {
        return new BenchMoeLayer(spec.layer(), router.create(this, spec), experts.create(this, spec));
    }
}
