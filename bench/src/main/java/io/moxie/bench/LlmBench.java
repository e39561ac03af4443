package io.moxie.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.Gson;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.MoeLayer;
import io.moxie.api.MoeSpec;
import io.moxie.api.ParameterStore;
import io.moxie.api.RequestKeys;
import io.moxie.blas.BlasLinear;
import io.moxie.blas.OpenBlas;
import io.moxie.blas.SharedMemory;
import io.moxie.decoder.LlmStageFactory;
import io.moxie.experts.lora.LoraExpertBankFactory;
import io.moxie.experts.lora.MergedLoraExpertBankFactory;
import io.moxie.experts.swiglu.BlasSwigluExpertBankFactory;
import io.moxie.experts.swiglu.SwigluExpertBankFactory;
import io.moxie.kernel.model.ModelRepository;
import io.moxie.kernel.pipeline.EngineOptions;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.pipeline.InferenceResult;
import io.moxie.kernel.pipeline.PipelineDefinition;
import io.moxie.kernel.pipeline.PipelineEngine;
import io.moxie.kernel.pipeline.PipelineYaml;
import io.moxie.kernel.pipeline.StageDefinition;
import io.moxie.kernel.registry.ComponentKind;
import io.moxie.kernel.registry.ComponentRegistry;
import io.moxie.kernel.tensor.HostTensor;
import io.moxie.routers.TopKRouterFactory;
import io.moxie.routers.instance.InstanceRouterFactory;
import io.moxie.testkit.TestRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The decoder's performance against the PyTorch reference ({@code llm_reference.py bench}, README-decoder.md "Bench"),
 * in one run (issue 11, Performance):
 * <ul>
 *   <li>(a) Mixtral's sparse-MoE block (hidden 1024, intermediate 3584, 8 experts top-2, 128 tokens) through a
 *       {@link MoeLayer} with the {@code topk} router and the {@code swiglu} (DJL) and {@code swiglu-blas} (OpenBLAS)
 *       banks, against the reference's eager block and one GEMM of the same FLOPs in each library (its limit);</li>
 *   <li>(b) one LoRA-MoE projection at Octavius' 13B size (5120 x 5120, r 32, 6 experts, top-2, 256 tokens) through a
 *       {@link MoeLayer} with the {@code instance} router and the {@code lora} / {@code lora-merged} banks (their
 *       products on OpenBLAS on the CPU), against the base linear alone on OpenBLAS (the limit; DJL's too) and the
 *       reference; also one row (a decode step) and the merge once per request, and from how many generated tokens
 *       merging pays off;</li>
 *   <li>(c) decode tokens/s of the reference bench's Llama (hidden 512, 8 layers, vocab 1000, prompt 16) through the
 *       shipped {@code llama} pipeline with the KV cache at 32 / 128 / 512 new tokens, and without it (per-step medians
 *       at five context lengths integrated, as the reference does).</li>
 * </ul>
 * The reference's workloads run in a peer process ({@code bench/src/main/python/llm_reference_peer.py}, the
 * reference's own code and draws) timed in the same interleaved rounds as Moxie's candidates; the peer also writes the
 * weights, inputs and reference outputs Moxie runs, so both compute the same numbers (checked). The reference's own
 * {@code bench} runs before and after, with the same number of torch threads as DJL's libtorch uses here.
 *
 * <p>Moxie's OpenBLAS code (the decoder's projections on the CPU, {@code swiglu-blas}, the LoRA banks' products) needs
 * OpenBLAS in the JVM, so the benchmark loads it at the start ({@code io.moxie.blas.OpenBlas}: the BLAS-only binding,
 * one thread per call); the DJL rows (the {@code swiglu} bank, the DJL limits) run in that same JVM, as they would in a
 * deployment that has both.
 * Run with {@code env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE} on its command line (docs/PERFORMANCE.md).
 */
public final class LlmBench {
    /**
     * Untimed wait after a candidate that leaves spinning threads behind, so that the spinning is not charged to the
     * next candidate: libtorch's OpenMP worker after a DJL operation (on this AMD host its spin of pause instructions
     * lasts milliseconds), the peer's OpenBLAS pthreads after its call.
     */
    private static final long SETTLE_MS = 300;
    private static final int MOE_TOKENS = 128;
    private static final int MOE_HIDDEN = 1024;
    private static final int MOE_INTER = 3584;
    private static final int MOE_EXPERTS = 8;
    private static final int MOE_K = 2;
    private static final int LORA_HIDDEN = 5120;
    private static final int LORA_EXPERTS = 6;
    private static final String LORA_GATE = "gating_network.w_gating";
    private static final String LORA_PREFIX = "llama_model.base_model.model.model.layers.0.self_attn.q_proj.";
    private static final int PROMPT = 16;
    private static final Path PEER = Path.of("bench/src/main/python/llm_reference_peer.py");

    private final Options options;
    private final Report report = new Report();
    private final List<List<String>> tables = new ArrayList<>();
    private ReferencePeer peer;

    private LlmBench(Options options) {
        this.options = options;
    }

    public static void main(String[] args) {
        Options options = new Options();
        System.exit(BenchCommandLine.execute(options, () -> new LlmBench(options).run(), args));
    }

    private void run() {
        report.heading("LLM decoder benchmark");
        Engine.getInstance().setRandomSeed(0); // DJL first, from the main thread (platform-facts §2)
        OpenBlas.require("LlmBench", "The OpenBLAS rows need org.bytedeco:openblas on the class path.");
        int threads = options.threads > 0 ? options.threads : JniUtils.getNumThreads();
        line("- torch intra-op threads: Moxie (DJL's libtorch) " + JniUtils.getNumThreads() + ", the reference peer and "
                + "the reference `bench` " + threads + " (`--threads " + threads + "`)");
        line("- timing: " + options.warmup + " warm-up + " + options.iters + " timed rounds (decode: "
                + options.decodeIters + "), Moxie and the reference peer interleaved (each round runs every candidate "
                + "once, order rotated); medians. The peer's times include a pipe round trip (~0.1 ms).");
        String before = options.noReferenceBench ? null : referenceBench("before", threads);
        Path refDir = options.referenceScript.toAbsolutePath().getParent();
        try (NDManager root = NDManager.newBaseManager();
             ReferencePeer p = new ReferencePeer(List.of(options.python, PEER.toString(), refDir.toString(),
                     options.dataDir.toAbsolutePath().toString(), Integer.toString(threads)))) {
            this.peer = p;
            if (options.parts.contains("moe")) {
                moe(root);
            }
            if (options.parts.contains("lora")) {
                lora(root);
            }
            if (options.parts.contains("decode")) {
                decode();
            }
        }
        String after = options.noReferenceBench ? null : referenceBench("after", threads);
        line("- load average at the end: " + Machine.load());
        tables.forEach(t -> t.forEach(this::line));
        if (before != null || after != null) {
            line("");
            line("Reference `bench` (own process, own timing) for the record: before `" + before + "`; after `" + after
                    + "`.");
        }
        if (options.report != null) {
            report.appendTo(options.report);
        }
    }

    // ---- (a) Mixtral MoE block ----------------------------------------------------------------------------------

    private void moe(NDManager root) {
        Path dir = options.dataDir.resolve("moe");
        double flops = 2.0 * 3 * MOE_TOKENS * MOE_K * MOE_HIDDEN * MOE_INTER;
        try (ModelRepository repo = new ModelRepository(options.dataDir);
             NDManager scope = root.newSubManager()) {
            ParameterStore store = repo.openDirectory(dir).parameters();
            String p = "model.layers.0.block_sparse_moe.";
            MoeSpec spec = new MoeSpec("layer0", p + "gate.weight", MOE_EXPERTS, MOE_K,
                    Map.of("w1", p + "experts.{e}.w1.weight", "w2", p + "experts.{e}.w2.weight",
                            "w3", p + "experts.{e}.w3.weight"), Map.of("activation", "silu"));
            MoeLayer layer = new BenchComponent("mixtral-moe", store, scope, new TopKRouterFactory(),
                    new SwigluExpertBankFactory()).moeLayer(spec);
            MoeLayer blasLayer = new BenchComponent("mixtral-moe-blas", store, scope, new TopKRouterFactory(),
                    new BlasSwigluExpertBankFactory()).moeLayer(spec);
            NDArray x = store.load("bench.x", scope);
            float[] expected = store.load("bench.y", scope).toFloatArray();
            line(String.format(Locale.ROOT, "- (a) MoE block output, max |Moxie - reference|: swiglu %.1e; swiglu-blas "
                    + "%.1e", Agreement.maxDifference(FreshRequest.call(scope, r -> layer.forward(x, r).output().toFloatArray()), expected),
                    Agreement.maxDifference(FreshRequest.call(scope, r -> blasLayer.forward(x, r).output().toFloatArray()), expected)));
            NDArray a = scope.randomNormal(new Shape(MOE_TOKENS * MOE_K, MOE_HIDDEN));
            NDArray b = scope.randomNormal(new Shape(MOE_HIDDEN, 3L * MOE_INTER));
            // the same FLOPs as one OpenBLAS product in parts, weights [out, in] as the bank reads them
            BlasLinear blasGemm = BlasLinear.of(scope.randomNormal(new Shape(3L * MOE_INTER, MOE_HIDDEN)), null,
                    BlasLinear.Split.SHARE_WEIGHT);
            List<Interleaved.Timing> t = Interleaved.run(List.of(
                    new Interleaved.Candidate("Moxie MoeLayer: topk router + swiglu bank (DJL)", () -> FreshRequest.call(scope,
                            r -> layer.forward(x, r).output().getFloat(0, 0)), Interleaved.pause(SETTLE_MS)),
                    new Interleaved.Candidate("Moxie MoeLayer: topk router + swiglu-blas bank (OpenBLAS)",
                            () -> FreshRequest.call(scope, r -> blasLayer.forward(x, r).output().getFloat(0, 0))),
                    new Interleaved.Candidate("PyTorch eager reference (peer)", () -> peer.call("moe"),
                            Interleaved.pause(SETTLE_MS)),
                    new Interleaved.Candidate("limit: one DJL GEMM of the same FLOPs, [256 x 1024] x [1024 x 10752]",
                            () -> {
                                try (NDArray c = a.matMul(b)) {
                                    c.getFloat(0, 0);
                                }
                            }, Interleaved.pause(SETTLE_MS)),
                    new Interleaved.Candidate("limit: one OpenBLAS GEMM of the same FLOPs in parts (BlasLinear)",
                            () -> {
                                try (NDArray c = blasGemm.apply(a)) {
                                    c.getFloat(0, 0);
                                }
                            })), options.warmup, options.iters);
            double ref = t.get(2).median();
            List<String> out = table("(a) Mixtral sparse-MoE block: hidden 1024, intermediate 3584, 8 experts top-2, "
                    + "128 tokens (" + String.format(Locale.ROOT, "%.2f", flops / 1e9) + " GFLOP in the experts)",
                    "| run | median ms (q1-q3; min) | GFLOP/s | speed-up vs reference (same rounds) |");
            for (Interleaved.Timing timing : t) {
                out.add(String.format(Locale.ROOT, "| %s | %s | %.0f | %.2fx |", timing.name(), ms(timing),
                        flops / timing.median() / 1e6, ref / timing.median()));
            }
            out.add("");
            out.add(String.format(Locale.ROOT, "- Moxie `swiglu` %.2fx the eager reference, `swiglu-blas` %.2fx (goal "
                    + ">= 1.3x); `swiglu` at %.0f%% of the same-FLOP DJL GEMM's speed, `swiglu-blas` at %.0f%% of the "
                    + "same-FLOP OpenBLAS GEMM's", ref / t.get(0).median(), ref / t.get(1).median(),
                    100 * t.get(3).median() / t.get(0).median(), 100 * t.get(4).median() / t.get(1).median()));
        }
    }

    // ---- (b) LoRA-MoE projection -----------------------------------------------------------------------------------

    private void lora(NDManager root) {
        Path dir = options.dataDir.resolve("lora");
        try (ModelRepository repo = new ModelRepository(options.dataDir);
             NDManager scope = root.newSubManager()) {
            ParameterStore store = repo.openDirectory(dir).parameters();
            MoeSpec spec = new MoeSpec("layer0.q_proj", LORA_GATE, LORA_EXPERTS, 2,
                    Map.of("base", "model.layers.0.self_attn.q_proj.weight", "A", LORA_PREFIX + "lora_moe_A.default",
                            "B", LORA_PREFIX + "lora_moe_B.default"), Map.of());
            NDArray base = store.load("model.layers.0.self_attn.q_proj.weight", scope);
            // the library the banks' products use on the CPU
            BlasLinear blasBase = BlasLinear.of(base, null, BlasLinear.Split.SHARE_WEIGHT);
            NDArray x = store.load("bench.x", scope);
            NDArray x1 = x.get("0:1");
            NDArray instruction = store.load("bench.instruction", scope);
            float[] expected = store.load("bench.y", scope).toFloatArray();
            Map<String, MoeLayer> banks = new LinkedHashMap<>();
            for (ExpertBankFactory f : new ExpertBankFactory[] {new LoraExpertBankFactory(),
                new MergedLoraExpertBankFactory()}) {
                banks.put(f.name(), new BenchComponent("lora-" + f.name(), store, scope, new InstanceRouterFactory(), f)
                        .moeLayer(spec));
            }
            // one long-lived request per bank: the gate and (lora-merged) the merge happen in its first call, so the
            // timed calls are the steady state of a request's prefill and decode steps
            try (TestRequest unmergedSession = session(scope, instruction);
                 TestRequest mergedSession = session(scope, instruction)) {
                MoeLayer unmerged = banks.get(LoraExpertBankFactory.NAME);
                MoeLayer merged = banks.get(MergedLoraExpertBankFactory.NAME);
                StringBuilder agreement = new StringBuilder("- (b) LoRA-MoE output, max |Moxie - reference (unmerged)|:");
                for (Map.Entry<String, MoeLayer> e : banks.entrySet()) {
                    float[] y;
                    try (TestRequest r = session(scope, instruction)) {
                        y = e.getValue().forward(x, r).output().toFloatArray();
                    }
                    agreement.append(String.format(Locale.ROOT, " %s %.1e;", e.getKey(), Agreement.maxDifference(y,
                            expected)));
                }
                line(agreement.toString());
                List<Interleaved.Candidate> rows = new ArrayList<>(List.of(
                        new Interleaved.Candidate("base linear alone (OpenBLAS `BlasLinear`, the limit)",
                                () -> linear(x, blasBase)),
                        new Interleaved.Candidate("Moxie `lora` (unmerged), instance router", () -> steady(unmerged, x,
                                unmergedSession)),
                        new Interleaved.Candidate("Moxie `lora-merged`, instance router", () -> steady(merged, x,
                                mergedSession)),
                        new Interleaved.Candidate("reference: base linear", () -> peer.call("lora-base")),
                        new Interleaved.Candidate("reference: unmerged, chosen experts", () -> peer.call("lora-unmerged")),
                        new Interleaved.Candidate("reference: unmerged, authors' dense einsum",
                                () -> peer.call("lora-dense")),
                        new Interleaved.Candidate("reference: merged forward", () -> peer.call("lora-merged")),
                        new Interleaved.Candidate("one row: base linear alone (OpenBLAS)", () -> linear(x1, blasBase)),
                        new Interleaved.Candidate("one row: Moxie `lora`", () -> steady(unmerged, x1, unmergedSession)),
                        new Interleaved.Candidate("one row: Moxie `lora-merged`", () -> steady(merged, x1, mergedSession)),
                        new Interleaved.Candidate("one row: reference base linear", () -> peer.call("lora-base-1")),
                        new Interleaved.Candidate("one row: reference unmerged", () -> peer.call("lora-unmerged-1")),
                        new Interleaved.Candidate("one row: reference merged", () -> peer.call("lora-merged-1")),
                        new Interleaved.Candidate("Moxie `lora-merged`, first call of a request (gate + merge + one row)",
                                () -> {
                                    try (TestRequest r = session(scope, instruction)) {
                                        steady(merged, x1, r);
                                    }
                                }),
                        new Interleaved.Candidate("reference: merge once per request", () -> peer.call("lora-merge")),
                        new Interleaved.Candidate("base linear alone on DJL (`Linear.linear`)", () -> linear(x, base)),
                        new Interleaved.Candidate("one row: base linear alone on DJL", () -> linear(x1, base))));
                List<Interleaved.Timing> t = Interleaved.run(rows, options.warmup, options.iters);
                loraTable(t);
            }
        }
    }

    private void loraTable(List<Interleaved.Timing> t) {
        double base = t.get(0).median();
        double base1 = t.get(7).median();
        List<String> out = table("(b) LoRA-MoE projection at Octavius' 13B size: 5120 x 5120, r 32, 6 experts top-2, "
                + "256 tokens (and one token, a decode step)", "| run | median ms (q1-q3; min) | of the base linear's "
                + "time | speed-up vs the reference's same form (same rounds) |");
        int[] peerOf = {3, 4, 6, -1, -1, -1, -1, 10, 11, 12, -1, -1, -1, 14, -1, 3, 10};
        for (int i = 0; i < t.size(); i++) {
            Interleaved.Timing timing = t.get(i);
            boolean oneRow = i >= 7 && i <= 12 || i == 16;
            String ofBase = i == 13 || i == 14 ? "" : String.format(Locale.ROOT, "%.3f",
                    timing.median() / (oneRow ? base1 : base));
            String vs = peerOf[i] < 0 ? "" : String.format(Locale.ROOT, "%.2fx", t.get(peerOf[i]).median() / timing.median());
            out.add(String.format(Locale.ROOT, "| %s | %s | %s | %s |", timing.name(), ms(timing), ofBase, vs));
        }
        double merge = t.get(13).median() - t.get(9).median();
        double saved1 = t.get(8).median() - t.get(9).median();
        double saved256 = t.get(1).median() - t.get(2).median();
        out.add("");
        out.add(String.format(Locale.ROOT, "- `lora-merged` %.3f of the base linear (goal <= 1.05), `lora` %.3f (goal "
                + "<= 1.12)", t.get(2).median() / base, t.get(1).median() / base));
        out.add(String.format(Locale.ROOT, "- merging once per request costs about %.1f ms per projection (first call "
                + "minus a steady one-row call; the reference's merge: %.1f ms). It saves %.2f ms per decode step and "
                + "%.1f ms per 256-row prefill, so it pays off %s", merge, t.get(14).median(), saved1, saved256,
                payOff(merge, saved1, saved256)));
    }

    private static String payOff(double merge, double savedPerStep, double savedPer256) {
        if (savedPerStep <= 0) {
            return "never in decode steps (the unmerged step is not slower here)";
        }
        double afterPrefill = Math.max(0, (merge - Math.max(0, savedPer256)) / savedPerStep);
        return String.format(Locale.ROOT, "from about %.0f generated tokens (decode steps alone), or %.0f after a "
                + "256-token prefill", Math.ceil(merge / savedPerStep), Math.ceil(afterPrefill));
    }

    /**
     * A request with the instruction embedding in its state. The request closes its state with itself, as the
     * kernel's does, so it gets its own copy: the shared one serves every request.
     */
    private static TestRequest session(NDManager scope, NDArray instruction) {
        TestRequest r = new TestRequest(scope);
        r.computeIfAbsent(RequestKeys.INSTRUCTION_EMBEDDING, k -> {
            NDArray copy = instruction.duplicate();
            copy.attach(r.manager());
            return copy;
        });
        return r;
    }

    /**
     * One call in a long-lived request: its output is freed at once; the request's state (the gate, its routings by
     * row count, the merged weight) is kept, as in a request's prefill and decode steps.
     */
    private static void steady(MoeLayer layer, NDArray x, TestRequest request) {
        try (NDArray y = layer.forward(x, request).output()) {
            y.getFloat(0, 0);
        }
    }

    private static void linear(NDArray x, NDArray w) {
        try (NDArray y = Linear.linear(x, w).singletonOrThrow()) {
            y.getFloat(0, 0);
        }
    }

    private static void linear(NDArray x, BlasLinear w) {
        try (NDArray y = w.apply(x)) {
            y.getFloat(0, 0);
        }
    }

    // ---- (c) decode --------------------------------------------------------------------------------------------------

    private void decode() {
        Path dir = options.dataDir.resolve("llama").toAbsolutePath();
        long[] prompt = new Gson().fromJson(read(dir.resolve("prompt.json")), long[].class);
        long[] referenceIds = new Gson().fromJson(read(dir.resolve("reference_ids.json")), long[].class);
        ComponentRegistry registry = new ComponentRegistry();
        registry.register(ComponentKind.STAGE, new LlmStageFactory(), "llm-decoder");
        Path scratch;
        try {
            scratch = Files.createTempDirectory("moxie-bench-repo-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        try (ModelRepository repository = new ModelRepository(scratch);
             NDManager gemvScope = NDManager.newBaseManager();
             PipelineEngine engine = new PipelineEngine(registry, ref -> repository.openDirectory(Path.of(ref)),
                     Device.cpu(), EngineOptions.DEFAULTS)) {
            engine.deploy(pipeline("cached", dir, true)).join();
            engine.deploy(pipeline("recompute", dir, false)).join();
            long[] ids = engine.infer("cached", request(prompt, referenceIds.length)).outputs().get("generated_ids")
                    .toLongArray();
            line("- (c) greedy ids of the 32-token decode equal the reference's: " + Arrays.equals(ids, referenceIds)
                    + (Arrays.equals(ids, referenceIds) ? "" : " (Moxie " + Arrays.toString(ids) + ", reference "
                    + Arrays.toString(referenceIds) + ")"));
            List<Interleaved.Candidate> rows = new ArrayList<>();
            for (int n : options.decodeLengths) {
                rows.add(new Interleaved.Candidate("Moxie " + n, () -> infer(engine, "cached", prompt, n)));
                rows.add(new Interleaved.Candidate("reference " + n, () -> peer.call("decode " + n)));
            }
            // the step's floor: each weight matrix read once by a one-row product, no other work
            List<NDArray[]> gemvs = gemvs(dir, gemvScope);
            rows.add(new Interleaved.Candidate("Moxie GEMVs (DJL)", () -> {
                for (NDArray[] wx : gemvs) {
                    linear(wx[1], wx[0]);
                }
            }));
            rows.add(new Interleaved.Candidate("reference GEMVs", () -> peer.call("gemv")));
            // in the layout the decoder reads them in (a copy: the DJL floor above keeps the weights as stored)
            List<BlasLinear> blasGemvs = gemvs.stream()
                    .map(wx -> BlasLinear.fastestLayout(wx[0].duplicate(), null, BlasLinear.Split.SHARE_WEIGHT))
                    .toList();
            // on buffers made once, as the fused decode step reads and writes them: only the products are timed
            List<FloatBuffer> gemvInputs = gemvs.stream().map(wx -> SharedMemory.floats(wx[1])).toList();
            List<FloatBuffer> gemvOutputs = blasGemvs.stream()
                    .map(w -> SharedMemory.floats(gemvScope.create(new Shape(1, w.outputSize())))).toList();
            rows.add(new Interleaved.Candidate("Moxie GEMVs (OpenBLAS)", () -> {
                for (int i = 0; i < gemvs.size(); i++) {
                    BlasLinear w = blasGemvs.get(i);
                    w.apply(gemvInputs.get(i), 1, w.inputSize(), 1f, gemvOutputs.get(i));
                }
            }));
            List<Interleaved.Timing> cached = Interleaved.run(rows, 1, options.decodeIters);
            // without the cache a step's cost grows with the context: per-step medians at five lengths per n,
            // integrated (trapezoid), exactly as the reference's bench does
            TreeSet<Integer> lengths = new TreeSet<>();
            for (int n : options.decodeLengths) {
                lengths.addAll(stepLengths(n));
            }
            List<Interleaved.Candidate> steps = new ArrayList<>();
            for (int length : lengths) {
                long[] seq = new long[length];
                java.util.Random random = new java.util.Random(length);
                for (int i = 0; i < length; i++) {
                    seq[i] = random.nextInt(1000);
                }
                steps.add(new Interleaved.Candidate("Moxie step " + length, () -> infer(engine, "recompute", seq, 1)));
                steps.add(new Interleaved.Candidate("reference step " + length, () -> peer.call("step " + length)));
            }
            List<Interleaved.Timing> stepTimes = Interleaved.run(steps, 1, options.decodeIters);
            decodeTable(cached, stepTimes, new ArrayList<>(lengths));
        } finally {
            try {
                Files.deleteIfExists(scratch);
            } catch (IOException e) {
                // an empty temporary folder left behind is harmless
            }
        }
    }

    /** The decode model's 2-D weights except the embeddings (read by row lookup), each with a random one-row input. */
    private static List<NDArray[]> gemvs(Path model, NDManager scope) {
        List<NDArray[]> out = new ArrayList<>();
        try (ModelRepository repo = new ModelRepository(model.getParent())) {
            ParameterStore store = repo.openDirectory(model).parameters();
            for (String key : store.keys()) {
                Shape shape = store.shape(key);
                if (shape.dimension() == 2 && !key.equals("model.embed_tokens.weight")) {
                    out.add(new NDArray[] {store.load(key, scope), scope.randomNormal(new Shape(1, shape.get(1)))});
                }
            }
        }
        return out;
    }

    private void decodeTable(List<Interleaved.Timing> cached, List<Interleaved.Timing> steps, List<Integer> lengths) {
        List<String> out = table("(c) decode, Llama hidden 512, 8 layers, 8 heads, intermediate 1376, vocab 1000, "
                + "prompt 16 (prefill included), the shipped `llama` pipeline", "| new tokens | Moxie with KV cache "
                + "tok/s | reference with cache tok/s | speed-up (goal >= 1.5x) | Moxie without cache tok/s | "
                + "reference without cache tok/s | cache advantage Moxie / reference |");
        List<Integer> ns = options.decodeLengths;
        for (int i = 0; i < ns.size(); i++) {
            int n = ns.get(i);
            double moxie = n / (cached.get(2 * i).median() / 1e3);
            double ref = n / (cached.get(2 * i + 1).median() / 1e3);
            double moxieNoCache = n / integrate(steps, lengths, n, 0);
            double refNoCache = n / integrate(steps, lengths, n, 1);
            out.add(String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.2fx | %.1f | %.1f | %.1fx / %.1fx |", n, moxie,
                    ref, moxie / ref, moxieNoCache, refNoCache, moxie / moxieNoCache, ref / refNoCache));
        }
        Interleaved.Timing moxieGemv = cached.get(2 * ns.size());
        Interleaved.Timing refGemv = cached.get(2 * ns.size() + 1);
        Interleaved.Timing blasGemv = cached.get(2 * ns.size() + 2);
        out.add("");
        out.add(String.format(Locale.ROOT, "- the floor of a decode step, every weight matrix read once by a one-row "
                + "product and nothing else: Moxie on OpenBLAS (what the decoder runs on the CPU) %s ms, at most %.0f "
                + "tok/s; on DJL %s ms, at most %.0f tok/s; reference (torch) %s ms, at most %.0f tok/s", ms(blasGemv),
                1e3 / blasGemv.median(), ms(moxieGemv), 1e3 / moxieGemv.median(), ms(refGemv), 1e3 / refGemv.median()));
        out.add("");
        out.add("Per-step medians without the cache (one forward over L rows, ms), Moxie / reference: "
                + String.join(", ", lengths.stream().map(l -> String.format(Locale.ROOT, "L=%d %.1f / %.1f", l,
                        steps.get(2 * lengths.indexOf(l)).median(), steps.get(2 * lengths.indexOf(l) + 1).median()))
                .toList()));
    }

    /** The reference's lengths for the no-cache steps of an n-token generation. */
    private static List<Integer> stepLengths(int n) {
        return new ArrayList<>(new TreeSet<>(List.of(PROMPT, PROMPT + n / 4, PROMPT + n / 2, PROMPT + 3 * n / 4,
                PROMPT + n - 1)));
    }

    /** Seconds for n uncached steps: the mean per-step time over the lengths (trapezoid) times n. */
    private static double integrate(List<Interleaved.Timing> steps, List<Integer> lengths, int n, int which) {
        List<Integer> ls = stepLengths(n);
        double area = 0;
        for (int i = 1; i < ls.size(); i++) {
            double a = steps.get(2 * lengths.indexOf(ls.get(i - 1)) + which).median();
            double b = steps.get(2 * lengths.indexOf(ls.get(i)) + which).median();
            area += (a + b) / 2 * (ls.get(i) - ls.get(i - 1));
        }
        return area / (ls.get(ls.size() - 1) - ls.get(0)) * n / 1e3;
    }

    private PipelineDefinition pipeline(String name, Path model, boolean kvCache) {
        String template = read(options.modelTypes.resolve("llama.yaml"));
        PipelineDefinition def = new PipelineYaml().parse(template, "llama.yaml",
                Map.of("pipeline", name, "model", model.toString()));
        StageDefinition s = def.stage("decoder");
        Map<String, Object> config = new LinkedHashMap<>(s.config());
        config.put("kv_cache", kvCache);
        config.put("intermediates", false); // the reference keeps no per-step logits either
        return def.withStage(new StageDefinition(s.name(), s.kind(), s.model(), s.router(), s.experts(), s.inputs(),
                config));
    }

    private static InferenceRequest request(long[] prompt, int maxNew) {
        return new InferenceRequest(Map.of("input_ids", HostTensor.ofLongs(prompt, prompt.length)),
                Map.of("max_new_tokens", Integer.toString(maxNew)), false);
    }

    private static void infer(PipelineEngine engine, String pipeline, long[] prompt, int maxNew) {
        InferenceResult r = engine.infer(pipeline, request(prompt, maxNew));
        if (r.outputs().get("generated_ids").numElements() != maxNew) {
            throw new IllegalStateException(pipeline + ": generated " + r.outputs().get("generated_ids").numElements()
                    + " tokens, not " + maxNew);
        }
    }

    // ---- helpers -------------------------------------------------------------------------------------------------

    /** Starts a markdown table; the caller adds its rows. Tables are printed at the end, after the reference's bench. */
    private List<String> table(String title, String header) {
        List<String> t = new ArrayList<>(List.of("", "### " + title, "", header, header.replaceAll("[^|]+", "---")));
        tables.add(t);
        return t;
    }

    private static String ms(Interleaved.Timing t) {
        return String.format(Locale.ROOT, "%.2f (%.2f-%.2f; %.2f)", t.median(), t.q1(), t.q3(), t.min());
    }

    /** Runs {@code llm_reference.py bench} with the given torch threads; returns its one-line summary, or why not. */
    private String referenceBench(String when, int threads) {
        // the reference's parts a, b, c are this benchmark's moe, lora, decode
        String parts = String.join(",", options.parts.stream().map(p -> switch (p) {
            case "moe" -> "a";
            case "lora" -> "b";
            default -> "c";
        }).toList());
        List<String> command = new ArrayList<>(List.of(options.python, options.referenceScript.toString(), "bench",
                "--threads", Integer.toString(threads), "--parts", parts));
        if (options.referenceQuick) {
            command.add("--quick");
        }
        ChildProcess.Ended ended;
        try {
            ended = ChildProcess.run(command, Duration.ofMinutes(30));
        } catch (UncheckedIOException e) {
            return "cannot run " + String.join(" ", command) + ": " + e.getCause().getMessage();
        }
        if (!ended.succeeded()) {
            return "failed: " + ended.output().replace('\n', ' ');
        }
        line("- reference `" + String.join(" ", command.subList(2, command.size())) + "` (" + when + "), load average "
                + Machine.load() + ":");
        StringBuilder summary = new StringBuilder();
        for (String l : ended.output().split("\n")) {
            if (l.startsWith("(") || l.startsWith("torch")) {
                line("    " + l);
                if (l.startsWith("(")) {
                    summary.append(summary.length() == 0 ? "" : "; ").append(l);
                }
            }
        }
        return summary.toString();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + p, e);
        }
    }

    private void line(String s) {
        report.line(s);
    }

    /** Command-line options (docs/PERFORMANCE.md). */
    @Command(name = "LlmBench", sortOptions = false, description = "The decoder's performance against the PyTorch "
            + "reference (llm_reference.py bench): Mixtral MoE block, LoRA-MoE projection, decode; prints a markdown "
            + "report.")
    static final class Options {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Print these options and exit.")
        boolean help;
        @Option(names = "--iters", paramLabel = "N", description = "Timed rounds (default: ${DEFAULT-VALUE}).")
        int iters = 10;
        @Option(names = "--warmup", paramLabel = "N", description = "Warm-up rounds (default: ${DEFAULT-VALUE}).")
        int warmup = 2;
        @Option(names = "--decode-iters", paramLabel = "N",
                description = "Timed rounds of the decode part (default: ${DEFAULT-VALUE}).")
        int decodeIters = 3;
        @Option(names = "--threads", paramLabel = "N",
                description = "torch threads of the reference (default: DJL's).")
        int threads;
        @Option(names = "--no-reference-bench", description = "Skip the reference's own bench before and after.")
        boolean noReferenceBench;
        @Option(names = "--reference-quick", description = "Run the reference's own bench with --quick.")
        boolean referenceQuick;
        @Option(names = "--python", paramLabel = "EXE", description = "Python of the reference (default: ${DEFAULT-VALUE}).")
        String python = "/usr/bin/python3";
        @Option(names = "--reference", paramLabel = "llm_reference.py",
                description = "The reference script (default: ${DEFAULT-VALUE}).")
        Path referenceScript = Path.of("../shared/reference/llm_reference.py");
        @Option(names = "--data-dir", paramLabel = "DIR",
                description = "Where the peer writes the weights and inputs both sides run (default: ${DEFAULT-VALUE}).")
        Path dataDir = Path.of("/tmp/moxie-bench/llm");
        @Option(names = "--model-types", paramLabel = "DIR",
                description = "The distribution's pipeline templates (default: ${DEFAULT-VALUE}).")
        Path modelTypes = Path.of("dist/src/main/dist/conf/model-types");
        @Option(names = "--parts", paramLabel = "PART", split = ",", defaultValue = "moe,lora,decode",
                description = "What to run, of moe, lora, decode (default: ${DEFAULT-VALUE}).")
        List<String> parts;
        @Option(names = "--decode-lengths", paramLabel = "N", split = ",", defaultValue = "32,128,512",
                description = "New tokens per decode row (default: ${DEFAULT-VALUE}).")
        List<Integer> decodeLengths;
        @Option(names = "--report", paramLabel = "FILE.md", description = "Also append the report to this file.")
        Path report;
    }
}
