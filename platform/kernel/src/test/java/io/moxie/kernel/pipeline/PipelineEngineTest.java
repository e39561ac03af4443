package io.moxie.kernel.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.moxie.api.InvalidInputException;
import io.moxie.api.MoxieException;
import io.moxie.kernel.registry.ComponentKind;
import io.moxie.kernel.registry.ComponentRegistry;
import io.moxie.kernel.registry.Provider;
import io.moxie.kernel.tensor.HostTensor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PipelineEngineTest {
    private static final String YAML = """
            name: demo
            inputs:
              - {name: x, dtype: float32, shape: [-1]}
            stages:
              - name: scale
                kind: scale
                inputs: {x: x}
            outputs:
              y: scale.y
            """;

    private ComponentRegistry registry;
    private PipelineEngine engine;

    @BeforeEach
    void start() {
        registry = new ComponentRegistry();
        engine = new PipelineEngine(registry, ref -> {
            throw new MoxieException("no models in this test");
        }, Device.cpu(), new EngineOptions(Duration.ofSeconds(10), Duration.ofMillis(20), Duration.ofMillis(300)));
    }

    @AfterEach
    void stop() {
        engine.close();
    }

    private PipelineDefinition definition() {
        return new PipelineYaml().parse(YAML, "test", Map.of());
    }

    private float[] infer(float... x) {
        return engine.infer("demo", InferenceRequest.of(Map.of("x", HostTensor.ofFloats(x, x.length))))
                .outputs().get("y").toFloatArray();
    }

    @Test
    void deployedPipelineServesRequests() throws Exception {
        registry.register(ComponentKind.STAGE, new TestComponents.ScaleFactory(2), "test");
        VersionInfo v = engine.deploy(definition()).get();
        assertEquals(1, v.version());
        assertArrayEquals(new float[] {2, 4}, infer(1, 2));
    }

    @Test
    void badInputsAreRejectedNamingTheInput() throws Exception {
        registry.register(ComponentKind.STAGE, new TestComponents.ScaleFactory(2), "test");
        engine.deploy(definition()).get();
        var missing = assertThrows(InvalidInputException.class,
                () -> engine.infer("demo", InferenceRequest.of(Map.of())));
        assertTrue(missing.getMessage().contains("missing input 'x'"), missing.getMessage());
        var dtype = assertThrows(InvalidInputException.class, () -> engine.infer("demo",
                InferenceRequest.of(Map.of("x", HostTensor.ofLongs(new long[] {1}, 1)))));
        assertTrue(dtype.getMessage().contains("'x' must be float32"), dtype.getMessage());
        var shape = assertThrows(InvalidInputException.class, () -> engine.infer("demo",
                InferenceRequest.of(Map.of("x", HostTensor.ofFloats(new float[] {1, 2}, 1, 2)))));
        assertTrue(shape.getMessage().contains("'x' must have shape"), shape.getMessage());
        var unknown = assertThrows(InvalidInputException.class, () -> engine.infer("demo",
                InferenceRequest.of(Map.of("x", HostTensor.ofFloats(new float[] {1}, 1), "z", HostTensor.ofFloats(new float[] {1}, 1)))));
        assertTrue(unknown.getMessage().contains("no input 'z'"), unknown.getMessage());
        assertArrayEquals(new float[] {2}, infer(1), "a good request right after bad ones is served");
    }

    @Test
    void wildcardOutputsMapEveryMatchingPortOfAStage() throws Exception {
        registry.register(ComponentKind.STAGE, new TestComponents.ScaleFactory(2), "test");
        engine.deploy(new PipelineYaml().parse(YAML.replace("y: scale.y", "out_*: scale.*"), "test", Map.of())).get();
        var outputs = engine.infer("demo", InferenceRequest.of(Map.of("x", HostTensor.ofFloats(new float[] {1}, 1)))).outputs();
        assertEquals(java.util.Set.of("out_y"), outputs.keySet());
    }

    @Test
    void identicalStagesOfTwoPipelinesAreBuiltOnceAndFreedWithTheLast() throws Exception {
        TestComponents.ScaleFactory factory = new TestComponents.ScaleFactory(2);
        registry.register(ComponentKind.STAGE, factory, "test");
        engine.deploy(definition()).get();
        engine.deploy(new PipelineYaml().parse(YAML.replace("name: demo", "name: twin"), "test", Map.of())).get();
        assertEquals(1, factory.built.get(), "one stage instance serves both pipelines");
        int shared = engine.rootManager().getManagedArrays().size();
        engine.remove("demo").get(5, TimeUnit.SECONDS);
        assertEquals(shared, engine.rootManager().getManagedArrays().size(), "still used by the twin");
        assertArrayEquals(new float[] {4}, engine.infer("twin", InferenceRequest.of(Map.of("x",
                HostTensor.ofFloats(new float[] {2}, 1)))).outputs().get("y").toFloatArray());
        engine.remove("twin").get(5, TimeUnit.SECONDS);
        assertEquals(0, engine.rootManager().getManagedArrays().size(), "freed with the last pipeline");
    }

    @Test
    void anInputSentAsEncodedBytesGoesToItsDecodingInput() throws Exception {
        registry.register(ComponentKind.STAGE, new io.moxie.kernel.builtin.IdentityStageFactory(), "test");
        engine.deploy(new PipelineYaml().parse("""
                name: files
                inputs:
                  - {name: points, dtype: float32, shape: [-1, 3], optional: true, encoded_as: points_file}
                  - {name: points_file, dtype: uint8, shape: [-1], optional: true}
                stages:
                  - {name: decoded, kind: identity, inputs: {x: points}}
                  - {name: file, kind: identity, inputs: {x: points_file}}
                outputs: {points: decoded.x, file: file.x}
                """, "test", Map.of())).get();
        var out = engine.infer("files", InferenceRequest.of(Map.of("points", HostTensor.ofBytes(new byte[] {1, 2, 3}))))
                .outputs();
        assertEquals(java.util.Set.of("file"), out.keySet());
        assertArrayEquals(new byte[] {1, 2, 3}, out.get("file").toByteArray());
    }

    @Test
    void unknownPipelineIsReported() {
        assertThrows(UnknownPipelineException.class, () -> infer(1));
    }

    @Test
    void newProviderSwapsInAndOldVersionMemoryIsFreedAfterDrain() throws Exception {
        registry.register(ComponentKind.STAGE, new TestComponents.ScaleFactory(2), "v1");
        engine.deploy(definition()).get();
        int baseline = engine.rootManager().getManagedArrays().size();
        registry.register(ComponentKind.STAGE, new TestComponents.ScaleFactory(3), "v2");
        awaitVersion(2);
        assertArrayEquals(new float[] {3}, infer(1));
        // the old version is retired right after the switch, on the swap thread
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); // ends on success; loaded machines are slow
        while (engine.rootManager().getManagedArrays().size() != baseline && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(baseline, engine.rootManager().getManagedArrays().size(), "old version's weights freed");
        assertTrue(engine.status("demo").version().stage("scale").kind().contains("v2"));
    }

    @Test
    void failedBuildKeepsTheOldVersionServing() throws Exception {
        registry.register(ComponentKind.STAGE, new TestComponents.ScaleFactory(2), "good");
        engine.deploy(definition()).get();
        int baseline = engine.rootManager().getManagedArrays().size();
        registry.register(ComponentKind.STAGE, new TestComponents.BrokenFactory(), "broken");
        var e = assertThrows(Exception.class, () -> engine.deploy(definition()).get());
        assertTrue(PipelineEngine.unwrap(e).getMessage().contains("broken on purpose"));
        assertArrayEquals(new float[] {2}, infer(1));
        PipelineStatus status = engine.status("demo");
        assertEquals(PipelineStatus.State.READY, status.state());
        assertEquals(1, status.version().version());
        assertTrue(status.lastError().contains("broken on purpose"));
        assertEquals(baseline, engine.rootManager().getManagedArrays().size(), "the failed attempt freed its memory");
    }

    @Test
    void removedComponentMakesThePipelineUnavailableWithAClearError() throws Exception {
        Provider p = registry.register(ComponentKind.STAGE, new TestComponents.ScaleFactory(2), "plugin");
        engine.deploy(definition()).get();
        registry.remove(p);
        assertArrayEquals(new float[] {2}, infer(1), "keeps serving during the replacement grace");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30); // ends on success; loaded machines are slow
        while (engine.status("demo").state() == PipelineStatus.State.READY && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        var e = assertThrows(PipelineUnavailableException.class, () -> infer(1));
        assertTrue(e.getMessage().contains("stage 'scale'") && e.getMessage().contains("no installed plugin"), e.getMessage());
        registry.register(ComponentKind.STAGE, new TestComponents.ScaleFactory(5), "plugin again");
        awaitVersion(2);
        assertArrayEquals(new float[] {5}, infer(1));
    }

    @Test
    void everyResponseUnderConcurrentSwapsComesFromOneWholeVersion() throws Exception {
        registry.register(ComponentKind.STAGE, new TestComponents.ScaleFactory(1), "v1");
        engine.deploy(definition()).get();
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        List<Future<Integer>> clients = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            clients.add(pool.submit(() -> {
                int n = 0;
                while (running.get()) {
                    InferenceResult r = engine.infer("demo", InferenceRequest.of(Map.of("x", HostTensor.ofFloats(new float[] {1, 1}, 2))));
                    float[] y = r.outputs().get("y").toFloatArray();
                    float expected = r.version().version(); // version v scales by v (see below)
                    assertArrayEquals(new float[] {expected, expected}, y, "version " + r.version().version());
                    n++;
                }
                return n;
            }));
        }
        for (int v = 2; v <= 6; v++) {
            registry.register(ComponentKind.STAGE, new TestComponents.ScaleFactory(v), "v" + v);
            awaitVersion(v);
        }
        running.set(false);
        int served = 0;
        for (Future<Integer> f : clients) {
            served += f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertTrue(served > 0);
    }

    @Test
    void removingAPipelineClosesItsVersion() throws Exception {
        registry.register(ComponentKind.STAGE, new TestComponents.ScaleFactory(2), "test");
        engine.deploy(definition()).get();
        engine.remove("demo").get(5, TimeUnit.SECONDS);
        assertEquals(0, engine.rootManager().getManagedArrays().size());
        assertThrows(UnknownPipelineException.class, () -> infer(1));
        assertNull(engine.list().stream().filter(s -> s.name().equals("demo")).findFirst().orElse(null));
    }

    private void awaitVersion(int version) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            PipelineStatus s = engine.status("demo");
            if (s.version() != null && s.version().version() >= version) {
                return;
            }
            Thread.sleep(10);
        }
        PipelineStatus s = engine.status("demo");
        assertNotNull(s.version());
        assertEquals(version, s.version().version(), "last error: " + s.lastError());
    }
}
