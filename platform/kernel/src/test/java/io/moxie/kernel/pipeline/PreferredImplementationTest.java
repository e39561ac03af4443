package io.moxie.kernel.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.moxie.api.ComponentContext;
import io.moxie.api.ExpertBank;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.MoeSpec;
import io.moxie.kernel.model.ModelRepository;
import io.moxie.kernel.registry.ComponentKind;
import io.moxie.kernel.registry.ComponentRegistry;
import io.moxie.kernel.registry.Provider;
import io.moxie.kernel.tensor.HostTensor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A stage listing expert banks in order of preference ({@code experts: [fast, portable]}): the kernel builds the first
 * that is installed and supports the stage's device, falls back when it goes, and returns to it when it comes back.
 * Real engine, checkpoint and DJL tensors on the CPU; the banks are linear experts under several names.
 */
class PreferredImplementationTest {
    private static final int E = 4;
    private static final int D = 8;
    private static final long GRACE_MILLIS = 300;

    @TempDir
    Path root;
    private ModelRepository models;
    private ComponentRegistry registry;
    private PipelineEngine engine;

    /** Linear experts under a name of its own, for the devices {@code supported} accepts; counts its builds. */
    static final class NamedExperts implements ExpertBankFactory {
        final String name;
        final Predicate<Device> supported;
        final List<Device> builtOn = new ArrayList<>();
        private final ExpertSpreadTest.LinearExpertsFactory linear = new ExpertSpreadTest.LinearExpertsFactory();

        NamedExperts(String name, Predicate<Device> supported) {
            this.name = name;
            this.supported = supported;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public boolean supports(Device device) {
            return supported.test(device);
        }

        @Override
        public ExpertBank create(ComponentContext context, MoeSpec spec) {
            builtOn.add(context.device());
            return linear.create(context, spec);
        }
    }

    /** Supports every device, and fails to build, as a bank whose weights do not fit it would. */
    static final class BrokenExperts implements ExpertBankFactory {
        @Override
        public String name() {
            return "broken";
        }

        @Override
        public ExpertBank create(ComponentContext context, MoeSpec spec) {
            throw new IllegalStateException("broken on purpose");
        }
    }

    private final NamedExperts cpuOnly = new NamedExperts("cpu-only", d -> !d.isGpu());
    private final NamedExperts portable = new NamedExperts("portable", d -> true);
    private final NamedExperts gpuOnly = new NamedExperts("gpu-only", Device::isGpu);

    @BeforeEach
    void start() throws Exception {
        ExpertSpreadTest.writeTwoLayerModel(root.resolve("moe"), 3);
        models = new ModelRepository(root);
        registry = new ComponentRegistry();
        registry.register(ComponentKind.STAGE, new ExpertSpreadTest.TwoLayerStageFactory(), "test");
        registry.register(ComponentKind.ROUTER, new ExpertSpreadTest.TopKRouterFactory(), "test");
        engine = new PipelineEngine(registry, models::open, Device.cpu(),
                new EngineOptions(Duration.ofSeconds(10), Duration.ofMillis(20), Duration.ofMillis(GRACE_MILLIS)));
    }

    @AfterEach
    void stop() {
        engine.close();
        models.close();
    }

    private static PipelineDefinition pipeline(String experts) {
        return new PipelineYaml().parse("""
                name: p
                inputs: [{name: x, dtype: float32, shape: [-1, %d]}]
                stages:
                  - {name: s, kind: two-moe, model: moe, router: test-topk, experts: %s, inputs: {x: x}}
                outputs: {y: s.y}
                """.formatted(D, experts), "test", Map.of());
    }

    private String running() {
        VersionInfo v = engine.status("p").version();
        return v.stage("s").experts().split(" ")[0];
    }

    private float[] infer() {
        float[] x = ExpertSpreadTest.normal(new Random(5), 3 * D);
        return engine.infer("p", InferenceRequest.of(Map.of("x", HostTensor.ofFloats(x, 3, D))))
                .outputs().get("y").toFloatArray();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    @Test
    void theFirstInstalledImplementationIsBuiltAndTheDefinitionKeepsTheList() throws Exception {
        registry.register(ComponentKind.EXPERTS, cpuOnly, "test");
        registry.register(ComponentKind.EXPERTS, portable, "test");
        engine.deploy(pipeline("[cpu-only, portable]")).get();
        assertEquals("cpu-only", running());
        assertEquals(List.of("cpu-only", "portable"), engine.status("p").definition().stage("s").experts());
        assertEquals(2, cpuOnly.builtOn.size(), "one bank per MoE layer");
        assertTrue(portable.builtOn.isEmpty(), "the fallback is not built as well");
    }

    @Test
    void anImplementationThatDoesNotSupportTheDeviceIsSkipped() throws Exception {
        registry.register(ComponentKind.EXPERTS, gpuOnly, "test");
        registry.register(ComponentKind.EXPERTS, portable, "test");
        engine.deploy(pipeline("[gpu-only, portable]")).get();
        assertEquals("portable", running());
        assertTrue(gpuOnly.builtOn.isEmpty(), "asked, never built: " + gpuOnly.builtOn);
    }

    @Test
    void anImplementationNamedAloneIsBuiltWhateverItsDeviceSupport() throws Exception {
        registry.register(ComponentKind.EXPERTS, gpuOnly, "test");
        engine.deploy(pipeline("gpu-only")).get();
        assertEquals("gpu-only", running(), "a single name is the user's choice: the bank reports itself if it can't");
    }

    @Test
    void aMissingFirstChoiceFallsBackAndIsTakenUpWhenItsPluginArrivesAndDroppedWhenItLeaves() throws Exception {
        registry.register(ComponentKind.EXPERTS, portable, "test");
        engine.deploy(pipeline("[cpu-only, portable]")).get();
        assertEquals("portable", running());
        float[] onPortable = infer();

        Provider arrived = registry.register(ComponentKind.EXPERTS, cpuOnly, "late plugin");
        await(() -> engine.status("p").version().version() == 2, "the preferred bank is taken up");
        assertEquals("cpu-only", running());
        assertArrayEquals(onPortable, infer(), 1e-6f);

        long removed = System.nanoTime();
        registry.remove(arrived);
        await(() -> engine.status("p").version().version() == 3, "the stage falls back");
        assertTrue(System.nanoTime() - removed >= GRACE_MILLIS * 1_000_000,
                "the version keeps serving for the replacement grace, as for any component that disappears");
        assertEquals(PipelineStatus.State.READY, engine.status("p").state());
        assertEquals("portable", running());
        assertArrayEquals(onPortable, infer(), 1e-6f);
    }

    @Test
    void whenNoListedImplementationCanServeTheErrorNamesThemAll() {
        registry.register(ComponentKind.EXPERTS, gpuOnly, "test");
        Exception e = assertThrows(Exception.class, () -> engine.deploy(pipeline("[cpu-only, gpu-only]")).get());
        String message = PipelineEngine.unwrap(e).getMessage();
        assertTrue(message.contains("stage 's'") && message.contains("[cpu-only, gpu-only]")
                && message.contains("'cpu-only' is not installed") && message.contains("'gpu-only' does not run on cpu()"),
                message);
    }

    @Test
    void aSwapToOneNameReplacesTheList() throws Exception {
        registry.register(ComponentKind.EXPERTS, cpuOnly, "test");
        registry.register(ComponentKind.EXPERTS, portable, "test");
        engine.deploy(pipeline("[cpu-only, portable]")).get();
        engine.swap("p", "s", null, "portable").get();
        assertEquals("portable", running());
        assertEquals(List.of("portable"), engine.status("p").definition().stage("s").experts());
    }

    @Test
    void routersTakeAPreferenceListToo() throws Exception {
        registry.register(ComponentKind.EXPERTS, portable, "test");
        PipelineDefinition def = new PipelineYaml().parse("""
                name: p
                inputs: [{name: x, dtype: float32, shape: [-1, %d]}]
                stages:
                  - {name: s, kind: two-moe, model: moe, router: [absent, test-topk], experts: portable, inputs: {x: x}}
                outputs: {y: s.y}
                """.formatted(D), "test", Map.of());
        engine.deploy(def).get();
        assertTrue(engine.status("p").version().stage("s").router().startsWith("test-topk "),
                engine.status("p").version().toString());
    }

    @Test
    void whenTheRemovedChoiceLeavesOnlyEntriesThatDoNotRunOnTheDeviceThePipelineIsUnavailable() throws Exception {
        Provider preferred = registry.register(ComponentKind.EXPERTS, cpuOnly, "vendor plugin");
        registry.register(ComponentKind.EXPERTS, gpuOnly, "test");
        engine.deploy(pipeline("[cpu-only, gpu-only]")).get();
        assertEquals("cpu-only", running());

        registry.remove(preferred);
        await(() -> engine.status("p").state() == PipelineStatus.State.UNAVAILABLE,
                "the version of the removed plugin stops serving after the grace");
        PipelineStatus status = engine.status("p");
        assertNull(status.version(), "nothing serves from a plugin that is gone");
        assertTrue(status.lastError().contains("stage 's'")
                && status.lastError().contains("'cpu-only' is not installed")
                && status.lastError().contains("'gpu-only' does not run on cpu()"), status.lastError());
        assertThrows(PipelineUnavailableException.class, this::infer);
        assertTrue(gpuOnly.builtOn.isEmpty(), "never built: " + gpuOnly.builtOn);

        registry.register(ComponentKind.EXPERTS, cpuOnly, "vendor plugin, reinstalled");
        await(() -> engine.status("p").state() == PipelineStatus.State.READY, "it serves again when its plugin returns");
        assertEquals("cpu-only", running());
    }

    @Test
    void whenTheRebuildAfterARemovalFailsTheOldVersionIsRetired() throws Exception {
        Provider preferred = registry.register(ComponentKind.EXPERTS, cpuOnly, "vendor plugin");
        registry.register(ComponentKind.EXPERTS, new BrokenExperts(), "test");
        engine.deploy(pipeline("[cpu-only, broken]")).get();

        registry.remove(preferred);
        await(() -> engine.status("p").state() == PipelineStatus.State.UNAVAILABLE,
                "the failed rebuild to take the pipeline out of service");
        assertNull(engine.status("p").version());
        assertTrue(engine.status("p").lastError().contains("broken on purpose"), engine.status("p").lastError());
        assertThrows(PipelineUnavailableException.class, this::infer);
    }

    @Test
    void aSupportsThatThrowsCountsAsUnsupportedAndIsReported() throws Exception {
        NamedExperts flaky = new NamedExperts("flaky", d -> {
            throw new IllegalStateException("no driver");
        });
        registry.register(ComponentKind.EXPERTS, flaky, "test");
        registry.register(ComponentKind.EXPERTS, portable, "test");
        engine.deploy(pipeline("[flaky, portable]")).get();
        assertEquals("portable", running());
        assertTrue(flaky.builtOn.isEmpty());

        Exception e = assertThrows(Exception.class, () -> engine.deploy(pipeline("[flaky, gpu-only]")).get());
        String message = PipelineEngine.unwrap(e).getMessage();
        assertTrue(message.contains("'flaky': supports() failed: no driver"), message);
    }

    @Test
    void aSupportsThatThrowsDoesNotStopReconciling() throws Exception {
        registry.register(ComponentKind.EXPERTS, portable, "test");
        engine.deploy(pipeline("[flaky, cpu-only, portable]")).get();
        registry.register(ComponentKind.EXPERTS, new NamedExperts("flaky", d -> {
            throw new IllegalStateException("no driver");
        }), "late plugin");
        // every reconcile from now on asks flaky first: it must go on to take up the next arrival
        registry.register(ComponentKind.EXPERTS, cpuOnly, "later plugin");
        await(() -> engine.status("p").version().version() == 2, "cpu-only is taken up");
        assertEquals("cpu-only", running());
    }
}
