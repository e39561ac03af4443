package io.moxie.kernel.schedule;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.types.DataType;
import io.moxie.api.ComponentContext;
import io.moxie.api.MoxieException;
import io.moxie.api.RequestContext;
import io.moxie.api.Stage;
import io.moxie.api.StageFactory;
import io.moxie.api.TensorSpec;
import io.moxie.kernel.pipeline.EngineListener;
import io.moxie.kernel.pipeline.EngineOptions;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.pipeline.InferenceResult;
import io.moxie.kernel.pipeline.PipelineEngine;
import io.moxie.kernel.pipeline.PipelineYaml;
import io.moxie.kernel.registry.ComponentKind;
import io.moxie.kernel.registry.ComponentRegistry;
import io.moxie.kernel.tensor.HostTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BatchingTest {
    private PipelineEngine engine;
    private Scheduler scheduler;
    private final AtomicInteger batches = new AtomicInteger();
    private final AtomicInteger largest = new AtomicInteger();

    /**
     * Rows [B, 2] in, [2B, 2] out: the rows scaled by a row-dependent factor, then the same rows times ten. The
     * output is two blocks of B rows, like S² crops in crop-major order.
     */
    static final class TwoBlocksFactory implements StageFactory {
        @Override
        public String kind() {
            return "two-blocks";
        }

        @Override
        public Stage create(ComponentContext context) {
            return new Stage() {
                @Override
                public List<TensorSpec> inputs() {
                    return List.of(new TensorSpec("x", DataType.FLOAT32, new long[] {-1, 2}));
                }

                @Override
                public List<TensorSpec> outputs() {
                    return List.of(new TensorSpec("y", DataType.FLOAT32, new long[] {-1, 2}));
                }

                @Override
                public Map<String, NDArray> run(Map<String, NDArray> inputs, RequestContext request) {
                    try {
                        Thread.sleep(20); // enough time for others to queue up behind
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    NDArray x = inputs.get("x");
                    NDArray first = x.mul(x.sum(new int[] {1}, true)); // depends on the row only
                    return Map.of("y", NDArrays.concat(new ai.djl.ndarray.NDList(first, x.mul(10)), 0));
                }
            };
        }
    }

    @BeforeEach
    void start() throws Exception {
        ComponentRegistry registry = new ComponentRegistry();
        registry.register(ComponentKind.STAGE, new TwoBlocksFactory(), "test");
        engine = new PipelineEngine(registry, ref -> {
            throw new MoxieException("no models");
        }, Device.cpu(), EngineOptions.DEFAULTS);
        engine.addListener(new EngineListener() {
            @Override
            public void batchRan(String pipeline, int size) {
                batches.incrementAndGet();
                largest.accumulateAndGet(size, Math::max);
            }
        });
        engine.deploy(new PipelineYaml().parse("""
                name: batched
                inputs: [{name: x, dtype: float32, shape: [-1, 2]}]
                stages: [{name: s, kind: two-blocks, inputs: {x: x}}]
                outputs: {y: s.y}
                batching: {max_batch_size: 8, max_delay_ms: 50}
                """, "test", Map.of())).get();
        scheduler = new Scheduler(engine, new SchedulerOptions(1, 64));
    }

    @AfterEach
    void stop() {
        scheduler.close();
        engine.close();
    }

    private static InferenceRequest request(int i) {
        int rows = 1 + i % 3; // requests of different batch sizes batch together
        float[] x = new float[rows * 2];
        for (int j = 0; j < x.length; j++) {
            x[j] = i + j * 0.5f;
        }
        return InferenceRequest.of(Map.of("x", HostTensor.ofFloats(x, rows, 2)));
    }

    @Test
    void concurrentRequestsAreBatchedAndAnsweredAsIfAlone() throws Exception {
        int n = 12;
        List<float[]> alone = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            alone.add(engine.infer("batched", request(i)).outputs().get("y").toFloatArray());
        }
        List<CompletableFuture<InferenceResult>> futures = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            futures.add(scheduler.submit("batched", request(i), 0));
        }
        for (int i = 0; i < n; i++) {
            InferenceResult r = futures.get(i).get(10, TimeUnit.SECONDS);
            assertArrayEquals(alone.get(i), r.outputs().get("y").toFloatArray(), "request " + i);
        }
        assertTrue(batches.get() > 0 && largest.get() > 1, "requests were batched: " + batches + " batches, largest " + largest);
    }

    @Test
    void requestsOfDifferentShapesAreNotMixed() throws Exception {
        CompletableFuture<InferenceResult> wide = scheduler.submit("batched",
                InferenceRequest.of(Map.of("x", HostTensor.ofFloats(new float[] {1, 2, 3}, 1, 3))), 0);
        CompletableFuture<InferenceResult> good = scheduler.submit("batched", request(1), 0);
        assertTrue(wide.handle((r, e) -> e != null).get(10, TimeUnit.SECONDS), "the malformed request fails alone");
        assertArrayEquals(engine.infer("batched", request(1)).outputs().get("y").toFloatArray(),
                good.get(10, TimeUnit.SECONDS).outputs().get("y").toFloatArray());
    }
}
