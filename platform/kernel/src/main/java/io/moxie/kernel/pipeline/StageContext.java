package io.moxie.kernel.pipeline;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.moxie.api.ComponentContext;
import io.moxie.api.Config;
import io.moxie.api.ExpertBank;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.MoeLayer;
import io.moxie.api.MoeSpec;
import io.moxie.api.ParameterStore;
import io.moxie.api.Router;
import io.moxie.api.RouterFactory;
import io.moxie.kernel.registry.Provider;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@link ComponentContext} of one stage of one compiled version. Builds MoE layers from the router and expert
 * bank the compiler chose from the stage definition's lists, and remembers which providers it used, so the engine knows which plugin changes affect the
 * version. With the placement {@code experts: spread}, the expert banks it builds are spread over devices
 * ({@link ExpertSpread}).
 */
final class StageContext implements ComponentContext {
    private final String pipeline;
    private final StageDefinition stage;
    private final Config config;
    private final ParameterStore parameters;
    private final java.nio.file.Path modelDirectory;
    private final NDManager manager;
    private final Device device;
    private final ImplementationChoice router;
    private final ImplementationChoice experts;
    private final ExpertSpread spread;
    private final Map<String, Provider> used = new LinkedHashMap<>();
    private final java.util.List<MoeLayer> layers = new java.util.ArrayList<>();

    StageContext(String pipeline, StageDefinition stage, Config config, ParameterStore parameters,
                 java.nio.file.Path modelDirectory, NDManager manager, Device device, ImplementationChoice router,
                 ImplementationChoice experts, ExpertSpread spread) {
        this.modelDirectory = modelDirectory;
        this.pipeline = pipeline;
        this.stage = stage;
        this.config = config;
        this.parameters = parameters;
        this.manager = manager;
        this.device = device;
        this.router = router;
        this.experts = experts;
        this.spread = spread;
    }

    @Override
    public String name() {
        return stage.name();
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
    public java.nio.file.Path modelDirectory() {
        return modelDirectory;
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public MoeLayer moeLayer(MoeSpec spec) {
        String where = "pipeline '" + pipeline + "', stage '" + stage.name() + "'";
        if (router.listed().isEmpty() || experts.listed().isEmpty()) {
            throw new PipelineDefinitionException(where + ": the stage has MoE layers, so it needs 'router' and "
                    + "'experts' settings");
        }
        Router routing = use(router, where).factoryAs(RouterFactory.class).create(this, spec);
        ExpertBankFactory factory = use(experts, where).factoryAs(ExpertBankFactory.class);
        ExpertBank bank = spread == null ? factory.create(this, spec) : spread.build(this, factory, spec);
        KernelMoeLayer layer = new KernelMoeLayer(spec.layer(), routing, bank);
        layers.add(layer);
        return layer;
    }

    /** Returns the MoE layers built for this stage. */
    java.util.List<MoeLayer> moeLayers() {
        return java.util.List.copyOf(layers);
    }

    private Provider use(ImplementationChoice choice, String where) {
        Provider p = choice.require(where);
        used.put(choice.kind() + ":" + p.name(), p);
        return p;
    }

    /** Returns the providers of routers and expert banks this stage used, keyed by {@code KIND:name}. */
    Map<String, Provider> usedProviders() {
        return used;
    }
}
