package io.moxie.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moxie.kernel.Kernel;
import io.moxie.kernel.KernelOptions;
import io.moxie.kernel.felix.BundleInfo;
import io.moxie.kernel.io.Npz;
import io.moxie.kernel.pipeline.EngineOptions;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.pipeline.InferenceResult;
import io.moxie.kernel.pipeline.PipelineStatus;
import io.moxie.kernel.pipeline.PipelineUnavailableException;
import io.moxie.kernel.registry.ComponentKind;
import io.moxie.kernel.tensor.HostTensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hot swap on the real distribution: a real Felix framework running the built bundle jars of
 * {@code target/moxie/bundles}, the connector pipeline of {@code conf/pipelines}, the demo model.
 */
class HotSwapIT {
    private static final Path HOME = Path.of(System.getProperty("moxie.home", "target/moxie"));
    private static final String PIPELINE = "cumo-connector";

    @TempDir
    Path plugins;
    private Kernel kernel;
    private Map<String, HostTensor> request;
    private Map<String, HostTensor> golden;

    @BeforeEach
    void start() throws Exception {
        KernelOptions options = KernelOptions.ofHome(HOME).withPluginsDir(plugins)
                .withEngine(new EngineOptions(Duration.ofSeconds(30), Duration.ofMillis(100), Duration.ofSeconds(2)));
        options = new KernelOptions(options.bundlesDir(), options.pluginsDir(), options.modelRepository(),
                options.pipelinesDir(), options.modelTypesDir(), false, options.engine());
        kernel = Kernel.start(options);
        request = Npz.read(HOME.resolve("examples/cumo-tiny-features.npz"));
        golden = Npz.read(Path.of("src/test/resources/cumo-tiny-expected.npz"));
        assertEquals(PipelineStatus.State.READY, kernel.engine().status(PIPELINE).state(),
                () -> "" + kernel.engine().status(PIPELINE).lastError());
    }

    @AfterEach
    void stop() {
        kernel.close();
    }

    private InferenceResult infer() {
        return kernel.engine().infer(PIPELINE, InferenceRequest.of(request));
    }

    @Test
    void connectorPipelineRunsInFelixAndMatchesTheReference() {
        InferenceResult r = infer();
        assertClose(golden.get("projected").toFloatArray(), r.outputs().get("projected").toFloatArray(), 1e-4f, 1e-3f);
        assertArrayEquals(golden.get("projector_router_indices").toLongArray(),
                r.outputs().get("projector_router_indices").toLongArray());
        assertTrue(r.version().stage("connector").router().contains("moxie-router-plugin"), r.version().toString());
    }

    @Test
    void swapsUnderLoadFailNoRequestAndEachAnswerComesFromOneWholeVersion() throws Exception {
        Map<String, float[]> expectedByRouter = new ConcurrentHashMap<>();
        expectedByRouter.put("topk", infer().outputs().get("projected").toFloatArray());
        int baselineArrays = kernel.engine().rootManager().getManagedArrays().size();

        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger failures = new AtomicInteger();
        List<InferenceResult> answers = java.util.Collections.synchronizedList(new ArrayList<>());
        ExecutorService clients = Executors.newFixedThreadPool(4);
        List<Future<?>> loops = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            loops.add(clients.submit(() -> {
                while (running.get()) {
                    try {
                        answers.add(infer());
                    } catch (RuntimeException e) {
                        failures.incrementAndGet();
                        e.printStackTrace();
                    }
                }
            }));
        }
        Thread.sleep(1000);

        // 1. update the router bundle in place (same code, new revision): a new version is built from it
        BundleInfo routers = kernel.plugins().bundles().stream()
                .filter(b -> b.symbolicName().equals("io.moxie.moxie-router-plugin")
                        || b.symbolicName().contains("router-plugin")).findFirst().orElseThrow();
        Path routerJar = Files.list(HOME.resolve("bundles")).filter(p -> p.toString().contains("router-plugin"))
                .findFirst().orElseThrow();
        int before = kernel.engine().status(PIPELINE).version().version();
        long t0 = System.nanoTime();
        kernel.plugins().update(routers.id(), routerJar);
        awaitTrue(() -> kernel.engine().status(PIPELINE).version().version() > before, "update to be swapped in");
        long updateMillis = (System.nanoTime() - t0) / 1_000_000;
        Thread.sleep(1000);

        // 2. a different implementation for the stage
        t0 = System.nanoTime();
        kernel.engine().swap(PIPELINE, "connector", "hash", null).get(30, TimeUnit.SECONDS);
        long swapMillis = (System.nanoTime() - t0) / 1_000_000;
        Thread.sleep(1000);
        kernel.engine().swap(PIPELINE, "connector", "topk", null).get(30, TimeUnit.SECONDS);
        Thread.sleep(500);

        running.set(false);
        for (Future<?> f : loops) {
            f.get(30, TimeUnit.SECONDS);
        }
        clients.shutdown();

        assertEquals(0, failures.get(), "failed requests during swaps");
        int checked = 0;
        for (InferenceResult r : answers) {
            String router = r.version().stage("connector").router().split(" ")[0];
            float[] got = r.outputs().get("projected").toFloatArray();
            float[] expected = expectedByRouter.computeIfAbsent(router, k -> got);
            assertArrayEquals(expected, got, "answer of version " + r.version().version() + " (" + router
                    + ") differs from that implementation's answer");
            checked++;
        }
        assertTrue(expectedByRouter.containsKey("hash"), "some requests ran on the hash router");
        assertTrue(!java.util.Arrays.equals(expectedByRouter.get("hash"), expectedByRouter.get("topk")),
                "the swap changed behaviour observably");
        awaitTrue(() -> kernel.engine().rootManager().getManagedArrays().size() == baselineArrays,
                "old versions' memory to be closed after drain");
        System.out.printf("swap under load: %d requests, 0 failures; bundle update -> new version serving in %d ms;"
                + " implementation swap in %d ms%n", checked, updateMillis, swapMillis);
    }

    @Test
    void aBundleWhoseComponentFailsLeavesTheOldVersionServing() throws Exception {
        int version = kernel.engine().status(PIPELINE).version().version();
        Path jar = TestBundles.routerBundle(Files.createTempDirectory("bundles"), "io.moxie.test.broken-router",
                BrokenRouterFactory.class, 100);
        BundleInfo broken = kernel.plugins().install(jar);
        awaitTrue(() -> kernel.engine().status(PIPELINE).lastError() != null, "the failed rebuild to be reported");
        PipelineStatus status = kernel.engine().status(PIPELINE);
        assertTrue(status.lastError().contains("broken on purpose"), status.lastError());
        assertEquals(PipelineStatus.State.READY, status.state());
        assertEquals(version, status.version().version(), "old version still serving");
        assertNotNull(infer().outputs().get("projected"));
        kernel.plugins().uninstall(broken.id());
        assertNotNull(infer().outputs().get("projected"));
    }

    @Test
    void aRouterDroppedIntoPluginsBecomesAvailableAndItsRemovalIsReported() throws Exception {
        Path example = Files.list(HOME.resolve("examples/plugins")).filter(p -> p.toString().endsWith(".jar"))
                .findFirst().orElseThrow();
        Files.copy(example, plugins.resolve(example.getFileName()));
        awaitTrue(() -> kernel.registry().find(ComponentKind.ROUTER, "first-k").isPresent(), "first-k to be installed");
        kernel.engine().swap(PIPELINE, "connector", "first-k", null).get(30, TimeUnit.SECONDS);
        long[] indices = infer().outputs().get("projector_router_indices").toLongArray();
        for (int i = 0; i < indices.length; i++) {
            assertEquals(i % 2, indices[i], "first-k sends every token to experts 0 and 1");
        }

        Files.delete(plugins.resolve(example.getFileName()));
        awaitTrue(() -> kernel.engine().status(PIPELINE).state() == PipelineStatus.State.UNAVAILABLE,
                "the pipeline to report the missing router");
        var e = assertThrows(PipelineUnavailableException.class, this::infer);
        assertTrue(e.getMessage().contains("first-k"), e.getMessage());

        kernel.engine().swap(PIPELINE, "connector", "topk", null).get(30, TimeUnit.SECONDS);
        assertNotNull(infer().outputs().get("projected"), "serving again after choosing an installed router");
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    private static void assertClose(float[] expected, float[] actual, float atol, float rtol) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            float tol = atol + rtol * Math.abs(expected[i]);
            if (Math.abs(expected[i] - actual[i]) > tol) {
                throw new AssertionError("element " + i + ": expected " + expected[i] + ", got " + actual[i]);
            }
        }
    }
}
