package io.moxie.kernel.pipeline;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.Config;
import io.moxie.api.MoxieException;
import io.moxie.api.ParameterStore;
import io.moxie.api.Stage;
import io.moxie.api.StageFactory;
import io.moxie.api.TensorSpec;
import io.moxie.kernel.device.DeviceManager;
import io.moxie.kernel.device.Lease;
import io.moxie.kernel.model.Model;
import io.moxie.kernel.registry.ComponentKind;
import io.moxie.kernel.registry.ComponentRegistry;
import io.moxie.kernel.registry.Provider;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a {@link CompiledPipeline} from a definition: resolves every component from the registry (choosing each
 * stage's router and expert bank from its preference lists, {@link ImplementationChoice}), loads weights,
 * checks the wiring between stages, and runs a warm-up forward pass. A failure at any point closes everything the
 * attempt allocated and reports the original cause, naming the stage.
 */
final class PipelineCompiler {
    private final ComponentRegistry registry;
    private final ModelResolver models;
    private final NDManager root;
    private final DeviceManager devices;
    private final Device device;
    private final StageCache stages = new StageCache();

    PipelineCompiler(ComponentRegistry registry, ModelResolver models, NDManager root, DeviceManager devices) {
        this.registry = registry;
        this.models = models;
        this.root = root;
        this.devices = devices;
        this.device = devices.preferred();
    }

    CompiledPipeline compile(PipelineDefinition def, int version) {
        List<CompiledPipeline.CompiledStage> built = new ArrayList<>();
        try {
            Map<String, TensorSpec> produced = new HashMap<>();
            for (PipelineDefinition.InputDefinition in : def.inputs()) {
                produced.put(in.name(), new TensorSpec(in.name(), DataTypes.parse(in.dataType(), "pipeline '" + def.name() + "'"),
                        in.shape()));
            }
            List<VersionInfo.StageInfo> infos = new ArrayList<>();
            for (StageDefinition s : def.stages()) {
                String where = "pipeline '" + def.name() + "', stage '" + s.name() + "'";
                Provider provider = registry.find(ComponentKind.STAGE, s.kind()).orElseThrow(() ->
                        new MoxieException(where + ": no stage kind '" + s.kind() + "' is installed (installed: "
                                + registry.list(ComponentKind.STAGE).stream().map(Provider::name).distinct().toList() + ")"));
                Device stageDevice = placement(s, where);
                List<Device> expertDevices = expertPlacement(s, where);
                ImplementationChoice router = choose(ComponentKind.ROUTER, s, stageDevice, expertDevices);
                ImplementationChoice experts = choose(ComponentKind.EXPERTS, s, stageDevice, expertDevices);
                Model model = s.model() == null ? null : models.resolve(s.model());
                String identity = identity(s, provider, model, stageDevice, router, experts);
                BuiltStage stage = stages.acquire(identity, () -> build(identity, def, version, s, provider, model,
                        stageDevice, expertDevices, router, experts, where));
                built.add(new CompiledPipeline.CompiledStage(s, stage, router, experts));
                checkWiring(def, s, stage.stage, produced);
                Map<String, TensorSpec> wired = new HashMap<>();
                s.inputs().forEach((port, source) -> {
                    TensorSpec spec = produced.get(source);
                    if (spec != null) {
                        wired.put(port, spec);
                    }
                });
                for (TensorSpec out : stage.stage.outputs(wired)) {
                    produced.put(s.name() + "." + out.name(), out);
                }
                // only what the stage built: a dense model's stage runs no router or experts, whatever it lists
                Provider r = stage.providers.get(ComponentKind.ROUTER + ":" + router.name());
                Provider e = stage.providers.get(ComponentKind.EXPERTS + ":" + experts.name());
                infos.add(new VersionInfo.StageInfo(s.name(), provider.describe(),
                        r == null ? null : r.describe(), e == null ? null : e.describe(),
                        r == null ? null : r.name(), e == null ? null : e.name()));
            }
            for (Map.Entry<String, String> out : def.outputs().entrySet()) {
                if (!out.getValue().endsWith("*") && !produced.containsKey(out.getValue())) {
                    throw new MoxieException("pipeline '" + def.name() + "': output '" + out.getKey() + "' reads '"
                            + out.getValue() + "', which that stage does not produce");
                }
            }
            CompiledPipeline compiled = new CompiledPipeline(def, null, built, stages);
            long warmUp = warmUp(def, compiled);
            return new CompiledPipeline(def, new VersionInfo(def.name(), version, List.copyOf(infos), warmUp,
                    outputSpecs(def, produced)), built, stages);
        } catch (RuntimeException e) {
            built.forEach(s -> stages.release(s.built()));
            throw e;
        }
    }

    /**
     * Picks the stage's router or expert bank from its list: the first installed one that runs on every device the
     * stage builds it on (its compute device, or those its experts are spread over).
     */
    private ImplementationChoice choose(ComponentKind kind, StageDefinition s, Device stageDevice,
                                       List<Device> expertDevices) {
        List<Device> on = (expertDevices == null ? List.of(stageDevice) : expertDevices).stream()
                .map(devices::computeDevice).distinct().toList();
        return ImplementationChoice.choose(registry, kind, s.implementations(kind), on);
    }

    /**
     * Picks the stage's router or expert bank from its list as compiling it now would, so that deciding whether a
     * deployed pipeline can still be built uses the compiler's rule.
     *
     * @throws PipelineDefinitionException if the stage's placement is invalid
     */
    ImplementationChoice choose(ComponentKind kind, StageDefinition s, String where) {
        return choose(kind, s, placement(s, where), expertPlacement(s, where));
    }

    /**
     * Returns whether every stage of {@code version} still runs what its lists would choose now: false once an
     * implementation listed before the chosen one is installed, or the chosen one is gone.
     */
    boolean choicesCurrent(CompiledPipeline version) {
        for (CompiledPipeline.CompiledStage c : version.stages()) {
            StageDefinition s = c.definition();
            String where = "pipeline '" + version.definition().name() + "', stage '" + s.name() + "'";
            Device stageDevice = placement(s, where);
            List<Device> expertDevices = expertPlacement(s, where);
            if (!choose(ComponentKind.ROUTER, s, stageDevice, expertDevices).samePick(c.router())
                    || !choose(ComponentKind.EXPERTS, s, stageDevice, expertDevices).samePick(c.experts())) {
                return false;
            }
        }
        return true;
    }

    /**
     * What makes two stages the same component, so they may share one built instance (and its weights): kind and
     * provider, model, configuration, the router and expert bank chosen with their providers, device. The stage's
     * name and pipeline are not part of it, nor the alternatives its lists name.
     */
    private String identity(StageDefinition s, Provider provider, Model model, Device device,
                            ImplementationChoice router, ImplementationChoice experts) {
        StringBuilder key = new StringBuilder(s.kind()).append('@').append(provider.serviceId())
                .append("|model=").append(model == null ? "-" : model.directory())
                .append("|config=").append(new java.util.TreeMap<>(s.config()))
                .append("|device=").append(device);
        if (!s.router().isEmpty()) {
            key.append("|router=").append(router.identity());
        }
        if (!s.experts().isEmpty()) {
            key.append("|experts=").append(experts.identity());
        }
        return key.toString();
    }

    /**
     * Builds a stage in a memory scope and leases of its own (one on the stage's device, and one per device its
     * experts are spread over), which it keeps for as long as any version uses it.
     */
    private BuiltStage build(String identity, PipelineDefinition def, int version, StageDefinition s,
                             Provider provider, Model model, Device stageDevice, List<Device> expertDevices,
                             ImplementationChoice router, ImplementationChoice experts, String where) {
        Device compute = devices.computeDevice(stageDevice);
        NDManager manager = root.newSubManager(compute);
        manager.setName("stage-" + s.kind() + "-" + s.name());
        List<Lease> leases = new ArrayList<>();
        String owner = "stage '" + s.name() + "' (" + s.kind() + ") of pipeline '" + def.name() + "' v" + version;
        try {
            Config config;
            ParameterStore params;
            ExpertSpread spread = null;
            if (model != null) {
                config = model.config().with(s.config(), where + " (model '" + model.name() + "')");
                Lease lease = devices.lease(stageDevice, owner);
                leases.add(lease);
                params = new LeasedParameterStore(model.parameters(), lease);
                if (expertDevices != null) {
                    spread = new ExpertSpread(devices, expertDevices, model.parameters(), owner, leases::add);
                }
            } else {
                config = new Config(s.config(), where);
                params = new EmptyParameterStore(s.name());
                if (expertDevices != null) {
                    throw new PipelineDefinitionException(where + ": placement 'experts: spread' needs a model to "
                            + "read the experts from");
                }
            }
            StageContext context = new StageContext(def.name(), s, config, params,
                    model == null ? null : model.directory(), manager, compute, router, experts, spread);
            Stage stage;
            try {
                stage = provider.factoryAs(StageFactory.class).create(context);
            } catch (MoxieException e) {
                throw e.getMessage().startsWith("pipeline '") ? e : new MoxieException(where + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                throw new MoxieException(where + ": building '" + s.kind() + "' failed: " + e, e);
            }
            Map<String, Provider> used = new LinkedHashMap<>(context.usedProviders());
            used.put(ComponentKind.STAGE + ":" + s.kind(), provider);
            return new BuiltStage(identity, stage, manager, leases, used, context.moeLayers(), compute);
        } catch (RuntimeException e) {
            manager.close();
            leases.forEach(Lease::close);
            throw e;
        }
    }

    /** The declared outputs with the specs of the ports they read, wildcards expanded against the stages' ports. */
    private static List<TensorSpec> outputSpecs(PipelineDefinition def, Map<String, TensorSpec> produced) {
        List<TensorSpec> out = new ArrayList<>();
        for (Map.Entry<String, String> o : def.outputs().entrySet()) {
            String name = o.getKey();
            String source = o.getValue();
            if (name.endsWith("*")) {
                String namePrefix = name.substring(0, name.length() - 1);
                String sourcePrefix = source.substring(0, source.length() - 1);
                new java.util.TreeMap<>(produced).forEach((port, spec) -> {
                    if (port.startsWith(sourcePrefix)) {
                        out.add(new TensorSpec(namePrefix + port.substring(sourcePrefix.length()), spec.dataType(),
                                spec.shape()));
                    }
                });
            } else {
                TensorSpec spec = produced.get(source);
                out.add(new TensorSpec(name, spec.dataType(), spec.shape()));
            }
        }
        return List.copyOf(out);
    }

    /** The stage's device: pinned with {@code device: gpu(1)} in its config, else the preferred device. */
    private Device placement(StageDefinition s, String where) {
        Object pinned = s.config().get("device");
        if (pinned == null) {
            return device;
        }
        try {
            return devices.device(String.valueOf(pinned));
        } catch (IllegalArgumentException e) {
            throw new PipelineDefinitionException(where + ": device: " + e.getMessage());
        }
    }

    /**
     * The devices the stage's experts are spread over, from {@code placement: {experts: spread, devices: [sim(0),
     * sim(1)]}} in its config (devices default to every device but the host CPU), or null when its experts stay on
     * the stage's device ({@code experts: stage}, the default).
     */
    private List<Device> expertPlacement(StageDefinition s, String where) {
        Object setting = s.config().get("placement");
        if (setting == null) {
            return null;
        }
        String example = " (e.g. placement: {experts: spread, devices: [gpu(0), gpu(1)]})";
        if (!(setting instanceof Map<?, ?> p)) {
            throw new PipelineDefinitionException(where + ": placement must be a mapping" + example);
        }
        for (Object key : p.keySet()) {
            if (!"experts".equals(key) && !"devices".equals(key)) {
                throw new PipelineDefinitionException(where + ": unknown placement setting '" + key
                        + "' (settings: experts, devices)");
            }
        }
        Object experts = p.get("experts");
        if (experts == null || "stage".equals(experts)) {
            if (p.get("devices") != null) {
                throw new PipelineDefinitionException(where + ": placement.devices needs 'experts: spread'" + example);
            }
            return null;
        }
        if (!"spread".equals(experts)) {
            throw new PipelineDefinitionException(where + ": placement.experts must be 'spread' or 'stage', got '"
                    + experts + "'");
        }
        Object listed = p.get("devices");
        if (listed == null) {
            List<Device> all = devices.devices().stream().filter(d -> !d.equals(Device.cpu())).toList();
            if (all.isEmpty()) {
                throw new PipelineDefinitionException(where + ": placement 'experts: spread' found no device but the "
                        + "host CPU: list the devices in placement.devices, or configure simulated devices "
                        + "(devices.simulated in conf/moxie.yaml)");
            }
            return all;
        }
        if (!(listed instanceof List<?> names) || names.isEmpty()) {
            throw new PipelineDefinitionException(where + ": placement.devices must be a non-empty list" + example);
        }
        List<Device> out = new ArrayList<>();
        for (Object name : names) {
            Device d;
            try {
                d = devices.device(String.valueOf(name));
            } catch (IllegalArgumentException e) {
                throw new PipelineDefinitionException(where + ": placement.devices: " + e.getMessage());
            }
            if (out.contains(d)) {
                throw new PipelineDefinitionException(where + ": placement.devices lists " + d + " twice");
            }
            out.add(d);
        }
        return List.copyOf(out);
    }

    private static void checkWiring(PipelineDefinition def, StageDefinition s, Stage stage, Map<String, TensorSpec> produced) {
        String where = "pipeline '" + def.name() + "', stage '" + s.name() + "'";
        Map<String, TensorSpec> accepted = new HashMap<>();
        stage.inputs().forEach(t -> accepted.put(t.name(), t));
        for (Map.Entry<String, String> port : s.inputs().entrySet()) {
            TensorSpec want = accepted.get(port.getKey());
            if (want == null) {
                throw new MoxieException(where + ": kind '" + s.kind() + "' has no input '" + port.getKey()
                        + "' (inputs: " + accepted.keySet() + ")");
            }
            TensorSpec have = produced.get(port.getValue());
            if (have != null && !compatible(have.shape(), want.shape())) {
                throw new MoxieException(where + ": input '" + port.getKey() + "' needs shape "
                        + java.util.Arrays.toString(want.shape()) + " but '" + port.getValue() + "' produces "
                        + java.util.Arrays.toString(have.shape()));
            }
        }
    }

    private static boolean compatible(long[] produced, long[] wanted) {
        if (produced == null || wanted == null) {
            return true;
        }
        if (produced.length != wanted.length) {
            return false;
        }
        for (int i = 0; i < produced.length; i++) {
            if (produced[i] >= 0 && wanted[i] >= 0 && produced[i] != wanted[i]) {
                return false;
            }
        }
        return true;
    }

    private long warmUp(PipelineDefinition def, CompiledPipeline compiled) {
        long start = System.nanoTime();
        try (RequestScope scope = new RequestScope(RequestScope.WARM_UP_PREFIX + def.name(), root, Map.of(), false, (l, r) -> { })) {
            Map<String, NDArray> inputs = new HashMap<>();
            for (PipelineDefinition.InputDefinition in : def.inputs()) {
                NDArray value = warmUpValue(def, in, compiled, scope.manager());
                if (value != null) {
                    inputs.put(in.name(), value);
                }
            }
            compiled.run(inputs, scope);
        } catch (RuntimeException e) {
            throw new MoxieException("pipeline '" + def.name() + "': warm-up failed: "
                    + (e.getMessage() == null ? e.toString() : e.getMessage()), e);
        }
        return (System.nanoTime() - start) / 1_000_000;
    }

    private static NDArray warmUpValue(PipelineDefinition def, PipelineDefinition.InputDefinition in,
                                       CompiledPipeline compiled, NDManager m) {
        for (CompiledPipeline.CompiledStage s : compiled.stages()) {
            for (Map.Entry<String, String> port : s.definition().inputs().entrySet()) {
                if (port.getValue().equals(in.name())) {
                    NDArray v = s.stage().warmUpInputs(m).get(port.getKey());
                    if (v != null) {
                        return v;
                    }
                }
            }
        }
        if (in.optional()) {
            return null;
        }
        long[] shape = in.shape() == null ? new long[] {1} : in.shape();
        long[] concrete = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            concrete[i] = shape[i] < 0 ? 1 : shape[i];
        }
        return m.zeros(new Shape(concrete), DataTypes.parse(in.dataType(), "pipeline '" + def.name() + "'"));
    }
}
