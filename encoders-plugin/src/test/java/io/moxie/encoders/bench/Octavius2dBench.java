package io.moxie.encoders.bench;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.blas.OpenBlas;
import io.moxie.blas.Parts;
import io.moxie.blas.SharedMemory;
import io.moxie.encoders.clip.ClipMoeStageFactory;
import io.moxie.encoders.preprocess.OctaviusImagePreprocessStageFactory;
import io.moxie.encoders.projection.LlamaProjStageFactory;
import io.moxie.kernel.model.Model;
import io.moxie.kernel.model.ModelRepository;
import io.moxie.kernel.pipeline.EngineOptions;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.pipeline.PipelineEngine;
import io.moxie.kernel.pipeline.PipelineYaml;
import io.moxie.kernel.registry.ComponentKind;
import io.moxie.kernel.registry.ComponentRegistry;
import io.moxie.kernel.tensor.HostTensor;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Not a test: the Octavius 2D encoder at Octavius' real size (CLIP ViT-L/14 at 224 px, 24 layers, 256 patch tokens,
 * {@code llama_proj} 1024 → 5120) on random weights, through the shipped {@code octavius-2d} pipeline and a real
 * engine, batch 1 and 8: images/s, GFLOP/s (the reference bench's count), the fastest single GEMM reachable from the
 * JVM in the same process (OpenBLAS through JavaCPP and DJL, {@code M×1024 @ 1024×4096}), and the resident memory the
 * loaded encoder adds beside its weights' bytes. docs/PERFORMANCE.md (Octavius 2D) has the command line and figures.
 *
 * <p>The random weights are written to a checkpoint in a temporary directory first ({@link RandomCheckpoint}, deleted
 * at the end) and loaded by the kernel's model repository, as a real model is.
 *
 * <p>Arguments: {@code [iterations (5; 0 for the memory report alone)] [layers (24; fewer for a quick look, the GFLOP
 * count follows)]}. Run from {@code encoders-plugin} with DJL offline.
 */
public final class Octavius2dBench {
    private static final int D = 1024;
    private static final int I = 4096;
    private static final int P = 14;
    private static final int S = 224;
    private static final int H = 5120;
    private static final int T = (S / P) * (S / P) + 1;

    private Octavius2dBench() {
    }

    public static void main(String[] args) throws Exception {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        int layers = args.length > 1 ? Integer.parseInt(args[1]) : 24;
        ComponentRegistry registry = new ComponentRegistry();
        registry.register(ComponentKind.STAGE, new OctaviusImagePreprocessStageFactory(), "bench");
        registry.register(ComponentKind.STAGE, new ClipMoeStageFactory(), "bench");
        registry.register(ComponentKind.STAGE, new LlamaProjStageFactory(), "bench");
        Path dir = Files.createTempDirectory("random-vit-l14-224-" + layers + "-layers");
        try (ModelRepository models = new ModelRepository(dir.getParent())) {
            writeVitL14(dir, layers);
            Model model = models.openDirectory(dir);
            Path template = Path.of("../dist/src/main/dist/conf/model-types/octavius-2d.yaml");
            try (PipelineEngine engine = new PipelineEngine(registry, ref -> model, Device.cpu(),
                    EngineOptions.DEFAULTS)) {
                startEngine();
                long before = anonKb();
                engine.deploy(new PipelineYaml().parse(Files.readString(template), template.toString(),
                        Map.of("pipeline", "octavius-2d-bench", "model", dir.toString()))).get();
                long after = anonKb();
                System.out.printf("weights %.1f MB float32; resident (anonymous) memory added by loading: %.1f MB "
                                + "(%.1f%%)%n",
                        model.parameterBytes() / 1e6, (after - before) / 1e3,
                        100.0 * (after - before) * 1e3 / model.parameterBytes());
                if (iterations == 0) {
                    return; // the memory report alone
                }
                for (int batch : new int[] {1, 8}) {
                    time(engine, batch, iterations, layers);
                }
            }
        } finally {
            RandomCheckpoint.delete(dir);
        }
        fastestGemm(257, iterations);
        fastestGemm(8 * 257, iterations);
    }

    private static void time(PipelineEngine engine, int batch, int iterations, int layers) {
        float[] pixels = new float[batch * 3 * S * S];
        SplittableRandom random = new SplittableRandom(batch);
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (float) random.nextGaussian();
        }
        Map<String, HostTensor> in = Map.of("pixel_values", HostTensor.ofFloats(pixels, batch, 3, S, S));
        engine.infer("octavius-2d-bench", InferenceRequest.of(in));
        double[] seconds = new double[iterations];
        for (int i = 0; i < iterations; i++) {
            long start = System.nanoTime();
            engine.infer("octavius-2d-bench", InferenceRequest.of(in));
            seconds[i] = (System.nanoTime() - start) / 1e9;
        }
        Arrays.sort(seconds);
        double median = seconds[iterations / 2];
        double flops = batch * (layers * (2.0 * T * D * 4 * D + 2.0 * T * D * I * 2 + 2.0 * 2 * T * T * D)
                + 2.0 * 256 * D * H + 2.0 * 256 * 3 * P * P * D);
        System.out.printf("octavius-2d encoder, batch %d: median %.0f ms (%.2f images/s, %.0f GFLOP/s over %d runs)%n",
                batch, median * 1e3, batch / median, flops / median / 1e9, iterations);
    }

    /**
     * The fastest GEMM reachable from Java, {@code m×1024 @ 1024×4096}, median GFLOP/s of each way: DJL {@code matMul};
     * OpenBLAS {@code cblas_sgemm} as one call on one OpenBLAS thread per core, with B stored {@code [k, n]} and
     * stored transposed {@code [n, k]} (the weights' layout); and one single-threaded call per core on its share of B's
     * columns, as Moxie runs its GEMMs ({@code io.moxie.blas.Parts}). Moxie leaves OpenBLAS at one thread per call:
     * the threaded rows set it to the core count and back.
     */
    private static void fastestGemm(int m, int iterations) {
        int k = D;
        int n = I;
        int cores = Runtime.getRuntime().availableProcessors();
        double flops = 2.0 * m * k * n;
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            NDArray a = manager.randomNormal(new Shape(m, k));
            NDArray b = manager.randomNormal(new Shape(k, n));
            NDArray bt = manager.randomNormal(new Shape(n, k));
            double djl = median(iterations, () -> a.matMul(b).close());
            FloatBuffer fa = SharedMemory.floats(a);
            FloatBuffer fb = SharedMemory.floats(b);
            FloatBuffer fbt = SharedMemory.floats(bt);
            NDArray c = manager.zeros(new Shape(m, n));
            FloatBuffer fc = SharedMemory.floats(c);
            org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(cores);
            double threaded = median(iterations, () -> OpenBlas.gemmNN(m, n, k, 1f, fa, k, fb, n, 0f, fc, n));
            double threadedT = median(iterations, () -> OpenBlas.gemmNT(m, n, k, 1f, fa, k, fbt, k, 0f, fc, n));
            org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(1);
            double parts = median(iterations, () -> Parts.run(cores, p -> {
                int c0 = Parts.bound(n, p, cores);
                int c1 = Parts.bound(n, p + 1, cores);
                OpenBlas.gemmNT(m, c1 - c0, k, 1f, fa, k, SharedMemory.at(fbt, (long) c0 * k), k, 0f,
                        SharedMemory.at(fc, c0), n);
            }));
            System.out.printf("single GEMM %dx%d @ %dx%d: DJL matMul %.0f GFLOP/s; OpenBLAS cblas_sgemm, %d threads: "
                            + "%.0f GFLOP/s, B stored transposed %.0f GFLOP/s; %d single-threaded parts over B's "
                            + "columns (as Moxie runs) %.0f GFLOP/s; the limit is the fastest OpenBLAS figure%n",
                    m, k, k, n, flops / djl / 1e9, cores, flops / threaded / 1e9, flops / threadedT / 1e9, cores,
                    flops / parts / 1e9);
        }
    }

    private static double median(int iterations, Runnable call) {
        for (int i = 0; i < 3; i++) {
            call.run();
        }
        double[] seconds = new double[Math.max(iterations * 4, 15)];
        for (int i = 0; i < seconds.length; i++) {
            long start = System.nanoTime();
            call.run();
            seconds[i] = (System.nanoTime() - start) / 1e9;
        }
        Arrays.sort(seconds);
        return seconds[seconds.length / 2];
    }

    /** CLIP ViT-L/14 at 224 px in the Hugging Face layout, all 256 patch tokens, and llama_proj into 5120. */
    private static void writeVitL14(Path dir, int layers) throws java.io.IOException {
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("model_type", "octavius-2d");
        config.put("hidden_size", D);
        config.put("intermediate_size", I);
        config.put("num_hidden_layers", layers);
        config.put("num_attention_heads", 16);
        config.put("image_size", S);
        config.put("patch_size", P);
        config.put("hidden_act", "quick_gelu");
        config.put("num_vision_token", 256);
        config.put("llm_hidden_size", H);
        Map<String, Shape> shapes = new LinkedHashMap<>();
        String v = "vision_model.";
        shapes.put(v + "embeddings.patch_embedding.weight", new Shape(D, 3, P, P));
        shapes.put(v + "embeddings.class_embedding", new Shape(D));
        shapes.put(v + "embeddings.position_embedding.weight", new Shape(T, D));
        shapes.put(v + "pre_layrnorm.weight", new Shape(D));
        shapes.put(v + "pre_layrnorm.bias", new Shape(D));
        for (int l = 0; l < layers; l++) {
            String p = v + "encoder.layers." + l + ".";
            for (String proj : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
                shapes.put(p + "self_attn." + proj + ".weight", new Shape(D, D));
                shapes.put(p + "self_attn." + proj + ".bias", new Shape(D));
            }
            for (String norm : new String[] {"layer_norm1", "layer_norm2"}) {
                shapes.put(p + norm + ".weight", new Shape(D));
                shapes.put(p + norm + ".bias", new Shape(D));
            }
            shapes.put(p + "mlp.fc1.weight", new Shape(I, D));
            shapes.put(p + "mlp.fc1.bias", new Shape(I));
            shapes.put(p + "mlp.fc2.weight", new Shape(D, I));
            shapes.put(p + "mlp.fc2.bias", new Shape(D));
        }
        shapes.put("llama_proj.weight", new Shape(H, D));
        shapes.put("llama_proj.bias", new Shape(H));
        RandomCheckpoint.write(dir, config, shapes);
    }

    /** Runs a first GEMM so the native library's own start-up memory is not counted as the encoder's. */
    private static void startEngine() {
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            manager.ones(new Shape(64, 64)).matMul(manager.ones(new Shape(64, 64)));
        }
    }

    private static long anonKb() throws Exception {
        for (int i = 0; i < 2; i++) {
            System.gc();
            Thread.sleep(200);
        }
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("RssAnon:")) {
                return Long.parseLong(line.split("\\s+")[1]);
            }
        }
        throw new IllegalStateException("no RssAnon in /proc/self/status");
    }
}
