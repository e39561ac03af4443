package io.moxie.encoders.pointcloud.scene;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.Config;
import io.moxie.encoders.pointcloud.Octavius3dConfig;
import io.moxie.testkit.TestRequest;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The scene aggregation stage alone at the authors' sizes, its fused OpenBLAS path and its DJL path called in turn
 * (so that both see the same load on a shared machine): run only with {@code -Dmoxie.bench=true}. Prints the median,
 * minimum and first quartile of the wall time of {@code moxie.bench.iters} (default 300) calls each after 3 s of
 * warm-up, and the calling thread's median CPU time. {@code PointCloudBenchmarkTest} times the stage through a
 * pipeline engine instead.
 */
@EnabledIfSystemProperty(named = "moxie.bench", matches = "true")
class SceneAggregationPathsBenchmarkTest {
    private static final int ITERS = Integer.getInteger("moxie.bench.iters", 300);

    @Test
    void fusedAgainstDjlAt16And64Objects() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        try (NDManager manager = NDManager.newBaseManager(); NDManager component = manager.newSubManager()) {
            Octavius3dConfig c = Octavius3dConfig.from(new Config(Map.of(), "bench"));
            SceneAggregatorStage fused = new SceneAggregatorStage(c,
                    BlasSceneAggregationTest.weights(c, new Random(1), component));
            List<SceneAggregatorStage> paths = List.of(fused, fused.onDjl());
            for (int m : new int[] {16, 64}) {
                Map<String, NDArray> in = inputs(manager, m);
                long warmUntil = System.nanoTime() + 3_000_000_000L;
                while (System.nanoTime() < warmUntil) {
                    paths.forEach(p -> call(p, in, manager));
                }
                double[][] wall = new double[2][ITERS];
                double[][] cpu = new double[2][ITERS];
                for (int i = 0; i < ITERS; i++) {
                    for (int k = 0; k < 2; k++) {
                        long c0 = threads.getCurrentThreadCpuTime();
                        long t0 = System.nanoTime();
                        call(paths.get(k), in, manager);
                        wall[k][i] = (System.nanoTime() - t0) / 1e6;
                        cpu[k][i] = (threads.getCurrentThreadCpuTime() - c0) / 1e6;
                    }
                }
                for (int k = 0; k < 2; k++) {
                    Arrays.sort(wall[k]);
                    Arrays.sort(cpu[k]);
                    System.out.printf(Locale.ROOT, "scene aggregation M=%d (%d masked), %s path: median %.2f ms (min %.2f, "
                            + "q1 %.2f, n=%d), calling thread's cpu median %.2f ms%n", m, m / 4, k == 0 ? "fused" : "DJL",
                            wall[k][ITERS / 2], wall[k][0], wall[k][ITERS / 4], ITERS, cpu[k][ITERS / 2]);
                }
            }
        }
    }

    private static void call(SceneAggregatorStage stage, Map<String, NDArray> in, NDManager manager) {
        try (TestRequest request = new TestRequest(manager)) {
            stage.run(in, request);
        }
    }

    /** The reference bench's inputs: random features, one box repeated, the last quarter of the objects masked. */
    private static Map<String, NDArray> inputs(NDManager manager, int m) {
        Random r = new Random(m);
        float[] features = new float[m * 768];
        for (int i = 0; i < features.length; i++) {
            features[i] = (float) r.nextGaussian();
        }
        float[] boxes = new float[m * 6];
        long[] mask = new long[m];
        for (int i = 0; i < m; i++) {
            System.arraycopy(new float[] {1, 1, 0, 2, 2, 1}, 0, boxes, i * 6, 6);
            mask[i] = i < m - m / 4 ? 1 : 0;
        }
        return Map.of("object_features", manager.create(features, new Shape(m, 768)),
                "boxes", manager.create(boxes, new Shape(m, 6)), "object_mask", manager.create(mask));
    }
}
