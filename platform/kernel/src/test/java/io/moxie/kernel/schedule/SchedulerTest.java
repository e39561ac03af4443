package io.moxie.kernel.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.moxie.api.ComponentContext;
import io.moxie.api.MoxieException;
import io.moxie.api.RequestContext;
import io.moxie.api.Stage;
import io.moxie.api.StageFactory;
import io.moxie.api.TensorSpec;
import io.moxie.kernel.device.ResourceExhaustedException;
import io.moxie.kernel.pipeline.DeadlineExceededException;
import io.moxie.kernel.pipeline.EngineOptions;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.pipeline.InferenceResult;
import io.moxie.kernel.pipeline.PipelineEngine;
import io.moxie.kernel.pipeline.PipelineYaml;
import io.moxie.kernel.pipeline.UnknownPipelineException;
import io.moxie.kernel.registry.ComponentKind;
import io.moxie.kernel.registry.ComponentRegistry;
import io.moxie.kernel.tensor.HostTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SchedulerTest {
    private PipelineEngine engine;
    private Scheduler scheduler;

    /** Copies x to y after sleeping; allocates per request so leaks would show. */
    static final class SleepFactory implements StageFactory {
        @Override
        public String kind() {
            return "sleep";
        }

        @Override
        public Stage create(ComponentContext context) {
            long millis = context.config().getInt("millis", 0);
            return new Stage() {
                @Override
                public List<TensorSpec> inputs() {
                    return List.of(new TensorSpec("x", DataType.FLOAT32, new long[] {-1}));
                }

                @Override
                public List<TensorSpec> outputs() {
                    return List.of(new TensorSpec("y", DataType.FLOAT32, new long[] {-1}));
                }

                @Override
                public Map<String, NDArray> run(Map<String, NDArray> inputs, RequestContext request) {
                    try {
                        Thread.sleep(millis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return Map.of("y", inputs.get("x").add(1));
                }
            };
        }
    }

    @BeforeEach
    void start() throws Exception {
        ComponentRegistry registry = new ComponentRegistry();
        registry.register(ComponentKind.STAGE, new SleepFactory(), "test");
        engine = new PipelineEngine(registry, ref -> {
            throw new MoxieException("no models");
        }, Device.cpu(), EngineOptions.DEFAULTS);
        engine.deploy(new PipelineYaml().parse("""
                name: slow
                inputs: [{name: x, dtype: float32, shape: [-1]}]
                stages:
                  - {name: a, kind: sleep, inputs: {x: x}, config: {millis: 100}}
                  - {name: b, kind: sleep, inputs: {x: a.y}, config: {millis: 100}}
                outputs: {y: b.y}
                """, "test", Map.of())).get();
        scheduler = new Scheduler(engine, new SchedulerOptions(1, 2));
    }

    @AfterEach
    void stop() {
        scheduler.close();
        engine.close();
    }

    private static InferenceRequest request(float value) {
        return InferenceRequest.of(Map.of("x", HostTensor.ofFloats(new float[] {value}, 1)));
    }

    private static Throwable failure(CompletableFuture<?> f) throws InterruptedException {
        try {
            f.get(10, TimeUnit.SECONDS);
            throw new AssertionError("expected a failure");
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("no answer", e);
        }
    }

    @Test
    void aFullQueueIsRefusedAtOnceAndTheServerKeepsServing() throws Exception {
        CompletableFuture<InferenceResult> running = scheduler.submit("slow", request(1), 0);
        Thread.sleep(50); // let the single worker take it
        CompletableFuture<InferenceResult> q1 = scheduler.submit("slow", request(2), 0);
        CompletableFuture<InferenceResult> q2 = scheduler.submit("slow", request(3), 0);
        CompletableFuture<InferenceResult> refused = scheduler.submit("slow", request(4), 0);
        assertTrue(refused.isCompletedExceptionally(), "refused without waiting");
        assertInstanceOf(ResourceExhaustedException.class, failure(refused));
        assertEquals(3f, running.get(10, TimeUnit.SECONDS).outputs().get("y").toFloatArray()[0]);
        assertEquals(4f, q1.get(10, TimeUnit.SECONDS).outputs().get("y").toFloatArray()[0]);
        assertEquals(5f, q2.get(10, TimeUnit.SECONDS).outputs().get("y").toFloatArray()[0]);
        assertEquals(3f, scheduler.submit("slow", request(1), 0).get(10, TimeUnit.SECONDS).outputs().get("y").toFloatArray()[0]);
    }

    @Test
    void deadlinesAreEnforcedInTheQueueAndBetweenStagesWithoutLeaking() throws Exception {
        int arraysBefore = engine.rootManager().getManagedArrays().size();
        CompletableFuture<InferenceResult> first = scheduler.submit("slow",
                request(1).withDeadline(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50)), 0);
        CompletableFuture<InferenceResult> queued = scheduler.submit("slow",
                request(2).withDeadline(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(80)), 0);
        Throwable midRun = failure(first);
        assertInstanceOf(DeadlineExceededException.class, midRun);
        assertTrue(midRun.getMessage().contains("before stage 'b'"), midRun.getMessage());
        Throwable inQueue = failure(queued);
        assertInstanceOf(DeadlineExceededException.class, inQueue);
        assertTrue(inQueue.getMessage().contains("in the queue"), inQueue.getMessage());
        assertEquals(arraysBefore, engine.rootManager().getManagedArrays().size(), "abandoned requests freed their memory");
        assertEquals(3f, scheduler.submit("slow", request(1), 0).get(10, TimeUnit.SECONDS).outputs().get("y").toFloatArray()[0]);
    }

    @Test
    void higherPriorityRunsFirstAmongWaitingRequests() throws Exception {
        List<Float> order = new CopyOnWriteArrayList<>();
        CompletableFuture<InferenceResult> blocker = scheduler.submit("slow", request(0), 0);
        Thread.sleep(50);
        List<CompletableFuture<InferenceResult>> all = new ArrayList<>();
        all.add(scheduler.submit("slow", request(10), 0).whenComplete((r, e) -> order.add(10f)));
        all.add(scheduler.submit("slow", request(20), 5).whenComplete((r, e) -> order.add(20f)));
        blocker.get(10, TimeUnit.SECONDS);
        for (CompletableFuture<InferenceResult> f : all) {
            f.get(10, TimeUnit.SECONDS);
        }
        assertEquals(List.of(20f, 10f), order);
    }

    @Test
    void unknownPipelineFailsWithoutQueueing() throws Exception {
        assertInstanceOf(UnknownPipelineException.class, failure(scheduler.submit("nope", request(1), 0)));
        assertTrue(scheduler.queueDepths().getOrDefault("nope", 0) == 0);
    }
}
