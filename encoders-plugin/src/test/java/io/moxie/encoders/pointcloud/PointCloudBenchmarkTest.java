package io.moxie.encoders.pointcloud;

import io.moxie.kernel.io.SafetensorsWriter;
import io.moxie.kernel.pipeline.PipelineYaml;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Timings at the authors' sizes (README-octavius §10), the counterpart of {@code octavius_reference.py bench}: run
 * only with {@code -Dmoxie.bench=true}, on a quiet machine, beside the reference's bench, and compare the ratios.
 * Each figure is the median of {@code moxie.bench.iters} (default 10) requests after at least 3 warm-up ones and 2 s of
 * warm-up, through a real pipeline engine (input and output copies included).
 */
@EnabledIfSystemProperty(named = "moxie.bench", matches = "true")
class PointCloudBenchmarkTest {
    private static final int ITERS = Integer.getInteger("moxie.bench.iters", 10);
    private static OctaviusPipelines pipelines;
    @TempDir
    static Path modelDir;

    @BeforeAll
    static void start() throws IOException {
        pipelines = new OctaviusPipelines();
        RandomModel.write(modelDir, new Random(0));
    }

    @AfterAll
    static void stop() {
        pipelines.close();
    }

    @Test
    void roiSamplingOfA146kPointSceneWith32Boxes() {
        deploy("bench-roi", """
                inputs:
                  - {name: points, dtype: float32, shape: [-1, -1]}
                  - {name: boxes, dtype: float32, shape: [-1, 6]}
                stages:
                  - {name: crop, kind: roi-sampler, model: MODEL, inputs: {points: points, boxes: boxes}}
                outputs:
                  object_points: crop.object_points
                """);
        Map<String, HostTensor> scene = BenchScene.make(new Random(0), 50_000, 32, 3000);
        time("roi-sampler: N=146000x6, M=32, P=2048", () -> pipelines.infer("bench-roi", scene));
    }

    @Test
    void pointBertBatchedOverObjects() {
        deploy("bench-pointbert", """
                inputs:
                  - {name: object_points, dtype: float32, shape: [-1, 2048, 3]}
                stages:
                  - {name: encoder, kind: point-bert, model: MODEL, inputs: {object_points: object_points}}
                outputs:
                  object_features: encoder.object_features
                """);
        for (int objects : new int[] {1, 4, 16}) {
            Map<String, HostTensor> in = Map.of("object_points", BenchScene.objects(new Random(objects), objects, 2048));
            double ms = time("point-bert: " + objects + " object(s) of 2048 points, 512x32, 384 x 12",
                    () -> pipelines.infer("bench-pointbert", in));
            System.out.printf(Locale.ROOT, "  = %.1f ms per object%n", ms / objects);
        }
    }

    @Test
    void sceneAggregationOf16And64Objects() {
        deploy("bench-scene", """
                inputs:
                  - {name: object_features, dtype: float32, shape: [-1, 768]}
                  - {name: boxes, dtype: float32, shape: [-1, 6]}
                  - {name: object_mask, dtype: int64, shape: [-1]}
                stages:
                  - {name: scene, kind: scene-aggregator, model: MODEL,
                     inputs: {object_features: object_features, boxes: boxes, object_mask: object_mask}}
                outputs:
                  scene_tokens: scene.scene_tokens
                """);
        for (int m : new int[] {16, 64}) {
            Random r = new Random(m);
            float[] feats = new float[m * 768];
            for (int i = 0; i < feats.length; i++) {
                feats[i] = (float) r.nextGaussian();
            }
            float[] boxes = new float[m * 6];
            long[] mask = new long[m];
            for (int i = 0; i < m; i++) {
                System.arraycopy(new float[] {1, 1, 0, 2, 2, 1}, 0, boxes, i * 6, 6);
                mask[i] = i < m - m / 4 ? 1 : 0;
            }
            Map<String, HostTensor> in = Map.of("object_features", HostTensor.ofFloats(feats, m, 768),
                    "boxes", HostTensor.ofFloats(boxes, m, 6), "object_mask", HostTensor.ofLongs(mask, m));
            time("scene-aggregator: M=" + m + " (" + m / 4 + " masked)", () -> pipelines.infer("bench-scene", in));
        }
    }

    private static void deploy(String name, String body) {
        String yaml = "name: " + name + "\n" + body.replace("MODEL", modelDir.toAbsolutePath().toString());
        pipelines.deploy(new PipelineYaml().parse(yaml, name, Map.of()));
    }

    /**
     * Prints the median wall time and the mean process CPU time per call of {@code call}. On a shared machine the CPU
     * time of a run with one thread ({@code -Dai.djl.pytorch.num_threads=1}) is the steadier figure; compare it with
     * the reference's {@code time.process_time()} under {@code OPENBLAS_NUM_THREADS=1}. (The process CPU clock ticks
     * in 10 ms steps here, so it is read around all the calls, not around each.)
     */
    private static double time(String what, Supplier<?> call) {
        // at least 3 calls and 2 s: a stage of a few ms needs hundreds of calls before the JIT has compiled its path
        long warmUntil = System.nanoTime() + 2_000_000_000L;
        for (int i = 0; i < 3 || System.nanoTime() < warmUntil; i++) {
            call.get();
        }
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        double[] ms = new double[ITERS];
        long c0 = os.getProcessCpuTime();
        for (int i = 0; i < ITERS; i++) {
            long t0 = System.nanoTime();
            call.get();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        double cpuPerCall = (os.getProcessCpuTime() - c0) / 1e6 / ITERS;
        Arrays.sort(ms);
        double median = ms[ITERS / 2];
        System.out.printf(Locale.ROOT, "%s: median %.2f ms (min %.2f, n=%d), cpu mean %.2f ms per call%n", what, median,
                ms[0], ITERS, cpuPerCall);
        return median;
    }

    /** A random octavius-3d checkpoint at the authors' sizes (README-octavius §5), weights at sane scales. */
    static final class RandomModel {
        private RandomModel() {
        }

        static void write(Path dir, Random r) throws IOException {
            Map<String, HostTensor> w = new LinkedHashMap<>();
            String e = "point_encoder.encoder.";
            conv(w, r, e + "first_conv.0.", 128, 3);
            bn(w, r, e + "first_conv.1.", 128);
            conv(w, r, e + "first_conv.3.", 256, 128);
            conv(w, r, e + "second_conv.0.", 512, 512);
            bn(w, r, e + "second_conv.1.", 512);
            conv(w, r, e + "second_conv.3.", 256, 512);
            String p = "point_encoder.";
            linear(w, r, p + "reduce_dim.", 384, 256);
            w.put(p + "cls_token", gaussian(r, 0.5, 1, 1, 384));
            w.put(p + "cls_pos", gaussian(r, 0.5, 1, 1, 384));
            linear(w, r, p + "pos_embed.0.", 128, 3);
            linear(w, r, p + "pos_embed.2.", 384, 128);
            for (int i = 0; i < 12; i++) {
                String b = p + "blocks.blocks." + i + ".";
                norm(w, b + "norm1.", 384);
                w.put(b + "attn.qkv.weight", gaussian(r, 1 / Math.sqrt(384), 3 * 384, 384));
                linear(w, r, b + "attn.proj.", 384, 384);
                norm(w, b + "norm2.", 384);
                linear(w, r, b + "mlp.fc1.", 1536, 384);
                linear(w, r, b + "mlp.fc2.", 384, 1536);
            }
            norm(w, p + "norm.", 384);
            linear(w, r, "pos_3d_proj.0.", 256, 6);
            linear(w, r, "pos_3d_proj.2.", 768, 256);
            w.put("resampler_3d.query_embed.weight", gaussian(r, 1, 16, 768));
            for (String kind : List.of("cross_attn", "self_attn")) {
                String a = "resampler_3d." + kind + ".0.";
                for (String fc : List.of("fc_q", "fc_k", "fc_v", "fc_o")) {
                    linear(w, r, a + "attention." + fc + ".", 768, 768);
                }
                norm(w, a + "layer_norm.", 768);
            }
            linear(w, r, "llama_proj_3d.0.", 5120, 768);
            norm(w, "llama_proj_3d.1.", 5120);
            SafetensorsWriter.write(dir.resolve("model.safetensors"), w);
            Files.writeString(dir.resolve("config.json"), "{\"model_type\": \"octavius-3d\"}\n");
        }

        private static void conv(Map<String, HostTensor> w, Random r, String p, int out, int in) {
            w.put(p + "weight", gaussian(r, 1 / Math.sqrt(in), out, in, 1));
            w.put(p + "bias", gaussian(r, 0.05, out));
        }

        private static void linear(Map<String, HostTensor> w, Random r, String p, int out, int in) {
            w.put(p + "weight", gaussian(r, 1 / Math.sqrt(in), out, in));
            w.put(p + "bias", gaussian(r, 0.05, out));
        }

        private static void bn(Map<String, HostTensor> w, Random r, String p, int n) {
            norm(w, p, n);
            w.put(p + "running_mean", gaussian(r, 0.1, n));
            float[] var = new float[n];
            Arrays.fill(var, 1f);
            w.put(p + "running_var", HostTensor.ofFloats(var, n));
            w.put(p + "num_batches_tracked", HostTensor.ofLongs(new long[] {1000}));
        }

        private static void norm(Map<String, HostTensor> w, String p, int n) {
            float[] ones = new float[n];
            Arrays.fill(ones, 1f);
            w.put(p + "weight", HostTensor.ofFloats(ones, n));
            w.put(p + "bias", HostTensor.ofFloats(new float[n], n));
        }

        private static HostTensor gaussian(Random r, double std, long... shape) {
            long n = 1;
            for (long d : shape) {
                n *= d;
            }
            float[] v = new float[(int) n];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (r.nextGaussian() * std);
            }
            return HostTensor.ofFloats(v, shape);
        }
    }

    /** Scenes shaped like the reference bench's: floor and wall points plus object clusters with tight boxes. */
    static final class BenchScene {
        private BenchScene() {
        }

        static Map<String, HostTensor> make(Random r, int background, int objects, int perObject) {
            List<float[]> pts = new ArrayList<>();
            for (int i = 0; i < background; i++) {
                pts.add(i % 2 == 0
                        ? new float[] {r.nextFloat() * 16, r.nextFloat() * 13, (float) (r.nextGaussian() * 0.01)}
                        : new float[] {r.nextFloat() * 16, 13, r.nextFloat() * 3});
            }
            float[] boxes = new float[objects * 6];
            for (int o = 0; o < objects; o++) {
                float cx = (o % 8) * 1.9f + 0.9f;
                float cy = (o / 8) * 1.6f + 0.9f;
                float size = 0.3f + r.nextFloat() * 0.8f;
                float[] lo = {Float.MAX_VALUE, Float.MAX_VALUE, Float.MAX_VALUE};
                float[] hi = {-Float.MAX_VALUE, -Float.MAX_VALUE, -Float.MAX_VALUE};
                for (int k = 0; k < perObject; k++) {
                    double gx = r.nextGaussian();
                    double gy = r.nextGaussian();
                    double gz = r.nextGaussian();
                    double len = Math.sqrt(gx * gx + gy * gy + gz * gz);
                    float[] p = {(float) (cx + gx / len * size / 2), (float) (cy + gy / len * size / 2),
                        (float) (size / 2 + 0.1 + gz / len * size / 2)};
                    pts.add(p);
                    for (int a = 0; a < 3; a++) {
                        lo[a] = Math.min(lo[a], p[a]);
                        hi[a] = Math.max(hi[a], p[a]);
                    }
                }
                if (o % 2 == 1) {
                    lo[2] = -0.05f; // down to the floor: floor points fall inside too
                }
                System.arraycopy(lo, 0, boxes, o * 6, 3);
                System.arraycopy(hi, 0, boxes, o * 6 + 3, 3);
            }
            java.util.Collections.shuffle(pts, r);
            float[] flat = new float[pts.size() * 6];
            for (int i = 0; i < pts.size(); i++) {
                System.arraycopy(pts.get(i), 0, flat, i * 6, 3);
                for (int c = 3; c < 6; c++) {
                    flat[i * 6 + c] = r.nextInt(256);
                }
            }
            return Map.of("points", HostTensor.ofFloats(flat, pts.size(), 6),
                    "boxes", HostTensor.ofFloats(boxes, objects, 6));
        }

        /** {@code count} random objects, each normalised into the unit sphere as the RoI stage leaves them. */
        static HostTensor objects(Random r, int count, int points) {
            float[] v = new float[count * points * 3];
            for (int o = 0; o < count; o++) {
                double max = 0;
                for (int i = 0; i < points * 3; i++) {
                    v[o * points * 3 + i] = (float) r.nextGaussian();
                }
                for (int i = 0; i < points; i++) {
                    int at = (o * points + i) * 3;
                    max = Math.max(max, Math.sqrt(v[at] * v[at] + v[at + 1] * v[at + 1] + v[at + 2] * v[at + 2]));
                }
                for (int i = 0; i < points * 3; i++) {
                    v[o * points * 3 + i] /= (float) max;
                }
            }
            return HostTensor.ofFloats(v, count, points, 3);
        }
    }
}
