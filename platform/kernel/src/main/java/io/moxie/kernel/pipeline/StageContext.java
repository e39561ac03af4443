package io.moxie.kernel.pipeline;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.moxie.api.ComponentContext;
import io.moxie.api.Config;
import io.moxie.api.ExpertBank;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.MoeLayer;
import io.moxie.api.MoeSpec;
import io.moxie.api.MoxieException;
import io.moxie.api.ParameterStore;
import io.moxie.api.Router;
import io.moxie.api.RouterFactory;
import io.moxie.kernel.registry.ComponentKind;
import io.moxie.kernel.registry.ComponentRegistry;
import io.moxie.kernel.registry.Provider;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The {@link ComponentContext} of one stage of one compiled version. Resolves the router and expert bank the stage
 * definition names and remembers which providers it used, so the engine knows which plugin changes affect the
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
    private final ComponentRegistry registry;
    private final ExpertSpread spread;
    private final Map<String, Provider> used = new LinkedHashMap<>();
    private final java.util.List<MoeLayer> layers = new java.util.ArrayList<>();

    StageContext(String pipeline, StageDefinition stage, Config config, ParameterStore parameters,
                 java.nio.file.Path modelDirectory, NDManager manager, Device device, ComponentRegistry registry,
                 ExpertSpread spread) {
        this.modelDirectory = modelDirectory;
        this.pipeline = pipeline;
        this.stage = stage;
        this.config = config;
        this.parameters = parameters;
        this.manager = manager;
        this.device = device;
        this.registry = registry;
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
        if (stage.router() == null || stage.experts() == null) {
            throw new PipelineDefinitionException(where + ": the stage has MoE layers, so it needs 'router' and "
                    + "'experts' settings");
        }
        Provider routerProvider = resolve(ComponentKind.ROUTER, stage.router(), where);
        Provider expertsProvider = resolve(ComponentKind.EXPERTS, stage.experts(), where);
        Router router = routerProvider.factoryAs(RouterFactory.class).create(this, spec);
        ExpertBankFactory factory = expertsProvider.factoryAs(ExpertBankFactory.class);
        ExpertBank experts = spread == null ? factory.create(this, spec) : spread.build(this, factory, spec);
        KernelMoeLayer layer = new KernelMoeLayer(spec.layer(), router, experts);
        layers.add(layer);
        return layer;
    }

    /** Returns the MoE layers built for this stage. */
    java.util.List<MoeLayer> moeLayers() {
        return java.util.List.copyOf(layers);
    }

    private Provider resolve(ComponentKind kind, String name, String where) {
        Provider p = registry.find(kind, name).orElseThrow(() -> new MoxieException(where + ": no " + kind.label()
                + " named '" + name + "' is installed (installed: "
                + registry.list(kind).stream().map(Provider::name).distinct().toList() + ")"));
        used.put(kind + ":" + name, p);
        return p;
    }

    /** Returns the providers of routers and expert banks this stage used, keyed by {@code KIND:name}. */
    Map<String, Provider> usedProviders() {
        return used;
    }
}
