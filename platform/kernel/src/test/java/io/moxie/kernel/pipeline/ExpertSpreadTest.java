package io.moxie.kernel.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ComponentContext;
import io.moxie.api.ExpertBank;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.MoeLayer;
import io.moxie.api.MoeSpec;
import io.moxie.api.RequestContext;
import io.moxie.api.Router;
import io.moxie.api.RouterFactory;
import io.moxie.api.Routing;
import io.moxie.api.Stage;
import io.moxie.api.StageFactory;
import io.moxie.api.TensorSpec;
import io.moxie.kernel.device.DeviceManager;
import io.moxie.kernel.device.DeviceStatus;
import io.moxie.kernel.device.ResourceExhaustedException;
import io.moxie.kernel.io.SafetensorsWriter;
import io.moxie.kernel.model.ModelRepository;
import io.moxie.kernel.registry.ComponentKind;
import io.moxie.kernel.registry.ComponentRegistry;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The placement {@code experts: spread} over two simulated devices, through a real engine, real safetensors
 * checkpoints and real DJL tensors: a stage with two MoE layers of four linear experts each, top-2.
 */
class ExpertSpreadTest {
    private static final int E = 4;
    private static final int D = 8;
    private static final int TOKENS = 13;
    private static final long EXPERT_BYTES = D * D * 4L;
    private static final long GATE_BYTES = E * D * 4L;
    private static final Device SIM0 = Device.of("sim", 0);
    private static final Device SIM1 = Device.of("sim", 1);

    @TempDir
    Path root;
    private ModelRepository models;
    private ComponentRegistry registry;

    /** Two MoE layers in a row: {@code y = moe1(moe0(x))}. */
    static final class TwoLayerStageFactory implements StageFactory {
        @Override
        public String kind() {
            return "two-moe";
        }

        @Override
        public Stage create(ComponentContext context) {
            List<MoeLayer> layers = new ArrayList<>();
            for (int l = 0; l < 2; l++) {
                layers.add(context.moeLayer(new MoeSpec("layer" + l, "layers." + l + ".gate", E, 2,
                        Map.of("w", "layers." + l + ".experts.{e}.w"), Map.of())));
            }
            return new Stage() {
                @Override
                public List<TensorSpec> inputs() {
                    return List.of(new TensorSpec("x", DataType.FLOAT32, new long[] {-1, D}));
                }

                @Override
                public List<TensorSpec> outputs() {
                    return List.of(new TensorSpec("y", DataType.FLOAT32, new long[] {-1, D}));
                }

                @Override
                public Map<String, NDArray> run(Map<String, NDArray> inputs, RequestContext request) {
                    NDArray h = inputs.get("x");
                    for (MoeLayer layer : layers) {
                        h = layer.forward(h, request).output();
                    }
                    return Map.of("y", h);
                }
            };
        }
    }

    /** Top-k of the softmax of {@code x · gateᵀ}, weights renormalised over the k chosen. */
    static final class TopKRouterFactory implements RouterFactory {
        @Override
        public String name() {
            return "test-topk";
        }

        @Override
        public Router create(ComponentContext context, MoeSpec spec) {
            NDArray gate = context.parameters().load(spec.gateKey(), context.manager());
            int k = spec.topK();
            return new Router() {
                @Override
                public Routing route(NDArray x, RequestContext request) {
                    NDArray probs = x.matMul(gate.transpose()).softmax(1);
                    NDArray idx = probs.argSort(1, false).get(new NDIndex(":, :{}", k));
                    NDArray w = probs.gather(idx, 1);
                    return new Routing(idx, w.div(w.sum(new int[] {1}, true)), spec.numExperts());
                }

                @Override
                public int numExperts() {
                    return spec.numExperts();
                }

                @Override
                public int topK() {
                    return k;
                }
            };
        }
    }

    /** Linear experts {@code x · W_eᵀ}, run one expert at a time; remembers the device it was built for. */
    static final class LinearExpertsFactory implements ExpertBankFactory {
        final List<Device> builtOn = new ArrayList<>();

        @Override
        public String name() {
            return "test-linear";
        }

        @Override
        public ExpertBank create(ComponentContext context, MoeSpec spec) {
            builtOn.add(context.device());
            NDArray[] w = new NDArray[spec.numExperts()];
            for (int e = 0; e < w.length; e++) {
                w[e] = context.parameters().load(spec.expertKey("w", e), context.manager());
            }
            return new ExpertBank() {
                @Override
                public NDArray forward(NDArray x, Routing routing, RequestContext request) {
                    NDManager m = request.manager();
                    long[] idx = routing.indices().toLongArray();
                    NDArray weights = routing.weights();
                    int k = routing.topK();
                    NDArray y = m.zeros(new Shape(x.getShape().get(0), D));
                    for (int p = 0; p < idx.length; p++) {
                        int t = p / k;
                        NDArray out = x.get(t).matMul(w[(int) idx[p]].transpose()).mul(weights.get(t, p % k));
                        y.set(new NDIndex("{}", t), y.get(t).add(out));
                    }
                    return y;
                }

                @Override
                public int numExperts() {
                    return w.length;
                }
            };
        }
    }

    private LinearExpertsFactory experts;

    /** Writes the model {@link TwoLayerStageFactory} reads: a gate and {@code E} linear experts in each of two layers. */
    static void writeTwoLayerModel(Path dir, long seed) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), "{}");
        Random r = new Random(seed);
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        for (int l = 0; l < 2; l++) {
            tensors.put("layers." + l + ".gate", HostTensor.ofFloats(normal(r, E * D), E, D));
            for (int e = 0; e < E; e++) {
                tensors.put("layers." + l + ".experts." + e + ".w", HostTensor.ofFloats(normal(r, D * D), D, D));
            }
        }
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors);
    }

    @BeforeEach
    void start() throws Exception {
        writeTwoLayerModel(root.resolve("moe"), 7);
        models = new ModelRepository(root);
        registry = new ComponentRegistry();
        experts = new LinearExpertsFactory();
        registry.register(ComponentKind.STAGE, new TwoLayerStageFactory(), "test");
        registry.register(ComponentKind.ROUTER, new TopKRouterFactory(), "test");
        registry.register(ComponentKind.EXPERTS, experts, "test");
    }

    @AfterEach
    void stop() {
        models.close();
    }

    static float[] normal(Random r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() / Math.sqrt(D));
        }
        return v;
    }

    private PipelineEngine engine(long sim0, long sim1) {
        Map<Device, Long> simulated = new LinkedHashMap<>();
        simulated.put(SIM0, sim0);
        simulated.put(SIM1, sim1);
        DeviceManager devices = new DeviceManager(Map.of(Device.cpu(), 1L << 30), simulated);
        return new PipelineEngine(registry, models::open, devices,
                new EngineOptions(Duration.ofSeconds(10), Duration.ofMillis(20), Duration.ofMillis(200)));
    }

    private static PipelineDefinition pipeline(String name, String config) {
        return new PipelineYaml().parse("""
                name: %s
                inputs: [{name: x, dtype: float32, shape: [-1, %d]}]
                stages:
                  - {name: s, kind: two-moe, model: moe, router: test-topk, experts: test-linear, inputs: {x: x},
                     config: %s}
                outputs: {y: s.y}
                """.formatted(name, D, config), "test", Map.of());
    }

    private static float[] infer(PipelineEngine engine, String pipeline) {
        float[] x = normal(new Random(11), TOKENS * D);
        return engine.infer(pipeline, InferenceRequest.of(Map.of("x", HostTensor.ofFloats(x, TOKENS, D))))
                .outputs().get("y").toFloatArray();
    }

    private static DeviceStatus status(PipelineEngine engine, Device device) {
        return engine.devices().status().stream().filter(s -> s.name().equals(device.toString())).findFirst()
                .orElseThrow();
    }

    @Test
    void spreadOverTwoSimulatedDevicesGivesTheUnspreadOutputsAndLeasesEachDevicesExperts() throws Exception {
        try (PipelineEngine engine = engine(1L << 20, 1L << 20)) {
            engine.deploy(pipeline("plain", "{}")).get();
            engine.deploy(pipeline("spread", "{placement: {experts: spread, devices: [sim(0), sim(1)]}}")).get();
            float[] plain = infer(engine, "plain");
            float[] spread = infer(engine, "spread");
            assertArrayEquals(plain, spread, 1e-5f, "spreading changes where experts run, not what they compute");

            // equal experts alternate over the devices: 0 and 2 on sim(0), 1 and 3 on sim(1), in both layers
            DeviceStatus s0 = status(engine, SIM0);
            DeviceStatus s1 = status(engine, SIM1);
            assertEquals(2 * 2 * EXPERT_BYTES, s0.leasedBytes(), s0.toString());
            assertEquals(2 * 2 * EXPERT_BYTES, s1.leasedBytes(), s1.toString());
            for (int l = 0; l < 2; l++) {
                String layer = "layer" + l;
                assertEquals(2 * EXPERT_BYTES, leaseOf(s0, "experts [0, 2] of MoE layer " + layer), s0.toString());
                assertEquals(2 * EXPERT_BYTES, leaseOf(s1, "experts [1, 3] of MoE layer " + layer), s1.toString());
            }
            // the host holds both gates of the spread stage, and the whole unspread stage
            assertEquals(2 * GATE_BYTES + (2 * GATE_BYTES + 2 * E * EXPERT_BYTES),
                    engine.devices().leasedBytes(Device.cpu()));
            assertTrue(experts.builtOn.stream().allMatch(Device.cpu()::equals), "simulated devices compute on the host");

            Map<String, Long> counters = engine.layerCounters("spread").get("s/layer0");
            assertEquals(2 + TOKENS * 2L, counters.get("pairs_on_sim(0)") + counters.get("pairs_on_sim(1)"),
                    "every routed pair (the warm-up's one token, then the request's) went to one device: " + counters);

            engine.remove("spread").get(10, TimeUnit.SECONDS);
            engine.remove("plain").get(10, TimeUnit.SECONDS);
            for (DeviceStatus d : engine.devices().status()) {
                assertEquals(0, d.leasedBytes(), "unloading returns every lease: " + d);
                assertTrue(d.leases().isEmpty(), d.toString());
            }
        }
    }

    private static long leaseOf(DeviceStatus device, String suffix) {
        return device.leases().entrySet().stream().filter(e -> e.getKey().endsWith(suffix))
                .mapToLong(Map.Entry::getValue).sum();
    }

    @Test
    void aDeviceTooSmallRefusesNamingItTheBytesAskedAndFreeAndNothingServingIsDisturbed() throws Exception {
        // room for three experts on sim(0) and half of one on sim(1): the fourth expert of layer0 fits nowhere
        long half = EXPERT_BYTES / 2;
        try (PipelineEngine engine = engine(3 * EXPERT_BYTES, half)) {
            engine.deploy(pipeline("plain", "{}")).get();
            float[] before = infer(engine, "plain");
            long hostBefore = engine.devices().leasedBytes(Device.cpu());
            Exception e = assertThrows(Exception.class, () -> engine.deploy(
                    pipeline("spread", "{placement: {experts: spread, devices: [sim(0), sim(1)]}}")).get());
            Throwable cause = PipelineEngine.unwrap(e);
            while (cause.getCause() != null && !(cause instanceof ResourceExhaustedException)) {
                cause = cause.getCause();
            }
            assertTrue(cause instanceof ResourceExhaustedException, cause.toString());
            assertTrue(cause.getMessage().contains("device sim(1)")
                    && cause.getMessage().contains("needs " + EXPERT_BYTES + " bytes")
                    && cause.getMessage().contains("only " + half + " of " + half + " bytes are free"),
                    cause.getMessage());
            assertEquals(0, engine.devices().leasedBytes(SIM0), "the refused layer's other leases are returned");
            assertEquals(0, engine.devices().leasedBytes(SIM1));
            assertEquals(hostBefore, engine.devices().leasedBytes(Device.cpu()));
            assertArrayEquals(before, infer(engine, "plain"), "the pipeline already serving is not disturbed");
        }
    }

    @Test
    void aStagePinnedToASimulatedDeviceIsLeasedThere() throws Exception {
        try (PipelineEngine engine = engine(1L << 20, 1L << 20)) {
            engine.deploy(pipeline("pinned", "{device: sim(1)}")).get();
            assertEquals(2 * GATE_BYTES + 2 * E * EXPERT_BYTES, engine.devices().leasedBytes(SIM1));
            assertEquals(0, engine.devices().leasedBytes(Device.cpu()));
            infer(engine, "pinned");
            engine.remove("pinned").get(10, TimeUnit.SECONDS);
            assertEquals(0, engine.devices().leasedBytes(SIM1));
        }
    }

    @Test
    void badPlacementsAreRefusedNamingTheSetting() {
        try (PipelineEngine engine = engine(1L << 20, 1L << 20)) {
            for (String[] c : new String[][] {
                {"{device: gpu(7)}", "unknown device 'gpu(7)'"},
                {"{placement: {experts: spread, devices: [sim(0), sim(5)]}}", "unknown device 'sim(5)'"},
                {"{placement: {experts: spread, devices: [sim(0), sim(0)]}}", "lists sim(0) twice"},
                {"{placement: {experts: scatter}}", "must be 'spread' or 'stage'"},
                {"{placement: {experts: spread, device: [sim(0)]}}", "unknown placement setting 'device'"}}) {
                Exception e = assertThrows(Exception.class, () -> engine.deploy(pipeline("bad", c[0])).get(), c[0]);
                String message = PipelineEngine.unwrap(e).getMessage();
                assertTrue(message.contains(c[1]) && message.contains("stage 's'"), c[0] + ": " + message);
            }
            engine.devices().status().forEach(d -> assertEquals(0, d.leasedBytes(), d.toString()));
        }
    }

    @Test
    void withoutListedDevicesTheExpertsSpreadOverEveryDeviceButTheHost() throws Exception {
        try (PipelineEngine engine = engine(1L << 20, 1L << 20)) {
            engine.deploy(pipeline("spread", "{placement: {experts: spread}}")).get();
            assertEquals(4 * EXPERT_BYTES, engine.devices().leasedBytes(SIM0));
            assertEquals(4 * EXPERT_BYTES, engine.devices().leasedBytes(SIM1));
            assertEquals(2 * GATE_BYTES, engine.devices().leasedBytes(Device.cpu()));
        }
    }
}
