package io.moxie.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.MoeLayer;
import io.moxie.api.MoeSpec;
import io.moxie.encoders.clip.BenchLayer;
import io.moxie.experts.GroupedMlpExpertBankFactory;
import io.moxie.experts.MlpExpertBankFactory;
import io.moxie.experts.blas.BlasMlpExpertBankFactory;
import io.moxie.testkit.TestContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * CuMo's MoE execution at real size, every expert bank against the PyTorch reference and against the limit, in one run
 * (issue 9, Performance):
 * <ul>
 *   <li>(a) one CLIP-MoE encoder layer: 577 tokens, D 1024, I 4096, 16 heads, E 4, top-2 (attention + gate +
 *       experts, LayerNorms and residuals), FLOPs {@code 8TD² + 4T²D + 2TDE + 4TkDI} as the reference counts them;</li>
 *   <li>(b) the MLP-MoE connector: 576 tokens, 2048 → 4096 → 4096, E 4, top-2, FLOPs
 *       {@code 2N·Cin·E + 2Nk(Cin·H + H²)};</li>
 *   <li>the limit: the same FLOPs through one OpenBLAS {@code cblas_sgemm} (the fastest GEMM reachable from the JVM),
 *       timed interleaved with the banks;</li>
 *   <li>the peer: the reference's {@code bench} (PyTorch eager, the authors' per-expert loop), run right before and
 *       right after;</li>
 *   <li>optionally (c) the whole {@code cumo-vision} pipeline at CLIP-L/336 with S² [1,3] on random weights
 *       ({@link VisionBench}).</li>
 * </ul>
 * Run it with {@code env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE} on its command line (docs/PERFORMANCE.md): the
 * variables are for tests, and the reference child process inherits the same environment. The reference runs torch
 * with as many intra-op threads as Moxie uses cores ({@code availableProcessors}; {@code --reference-threads N} to
 * override, 0 for torch's default), and the tables say how many each side used.
 */
public final class CumoBench {
    private static final int T = 577;
    private static final int D = 1024;
    private static final int I = 4096;
    private static final int HEADS = 16;
    private static final int E = 4;
    private static final int K = 2;
    private static final int N = 576;
    private static final int CIN = 2048;
    private static final int H = 4096;
    /** Untimed wait after a candidate that leaves spinning threads behind (the peer, a threaded OpenBLAS call). */
    private static final long SETTLE_MS = 300;

    private final Options options;
    private final Report report = new Report();
    /** The reference's workloads, timed in the same rounds; null without {@code --no-reference}. */
    private ReferencePeer peer;
    /** The peer's torch intra-op threads as it reported them; -1 without a peer. */
    private int peerThreads = -1;

    private CumoBench(Options options) {
        this.options = options;
    }

    public static void main(String[] args) {
        Options options = new Options();
        System.exit(BenchCommandLine.execute(options, () -> new CumoBench(options).run(), args));
    }

    private void run() {
        report.heading("CuMo MoE benchmark");
        line("- threads: Moxie " + moxieThreads() + " (one fork-join part of single-threaded OpenBLAS GEMMs per core), "
                + "PyTorch reference asked for " + options.referenceThreads + " intra-op (0: torch's default)");
        line("- timing: " + options.warmup + " warm-up + " + options.iters + " timed rounds, candidates interleaved "
                + "(each round runs every candidate once, order rotated; an untimed " + SETTLE_MS + " ms pause after the "
                + "PyTorch peer and after threaded OpenBLAS limits, whose idle threads spin); medians");
        Engine engine = Engine.getInstance(); // DJL first, from the main thread (platform-facts §2)
        engine.setRandomSeed(0);
        boolean micro = options.parts.stream().anyMatch(p -> !p.equals("vision"));
        boolean referenceBench = micro && options.reference() && !options.noReferenceBench;
        ReferenceBench.Result before = referenceBench ? reference("before") : null;
        Map<String, List<Row>> parts = new LinkedHashMap<>();
        try (NDManager root = NDManager.newBaseManager();
             ReferencePeer peer = micro && options.reference()
                     ? new ReferencePeer(options.python, options.referenceScript.toAbsolutePath().getParent(),
                     options.referenceThreads) : null) {
            this.peer = peer;
            this.peerThreads = peer == null ? -1 : peer.threads();
            if (options.parts.contains("layer")) {
                parts.put("layer", layer(root));
            }
            if (options.parts.contains("connector")) {
                parts.put("connector", connector(root));
            }
            if (options.parts.contains("breakdown")) {
                parts.put("breakdown", breakdown(root));
            }
        }
        ReferenceBench.Result after = referenceBench ? reference("after") : null;
        line("- load average at the end: " + Machine.load());
        String threads = threads(before);
        if (parts.containsKey("layer")) {
            table("(a) CLIP-MoE layer: T=577, D=1024, I=4096, 16 heads, E=4, top-2; " + gflop(layerFlops()) + threads,
                    parts.get("layer"), before == null ? null : before.layer(), after == null ? null : after.layer());
        }
        if (parts.containsKey("connector")) {
            table("(b) MLP-MoE connector: N=576, 2048 -> 4096 -> 4096, E=4, top-2; " + gflop(connectorFlops()) + threads,
                    parts.get("connector"), before == null ? null : before.connector(),
                    after == null ? null : after.connector());
        }
        if (parts.containsKey("breakdown")) {
            table("(a') where the layer's time goes: its attention alone and its MoE (gate + experts) alone",
                    parts.get("breakdown"), null, null);
        }
        if (options.parts.contains("vision")) {
            new VisionBench(options, report::line).run();
        }
        if (options.report != null) {
            report.appendTo(options.report);
        }
    }

    /** Moxie's GEMM threads: one part per core, as {@code io.moxie.blas.Parts} cuts them. */
    private static int moxieThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** The thread counts for a table title: Moxie's, the peer's and the reference bench's as each reported them. */
    private String threads(ReferenceBench.Result before) {
        return "; threads: Moxie " + moxieThreads() + ", PyTorch peer " + (peerThreads < 0 ? "-" : peerThreads)
                + ", reference bench " + (before == null ? "-" : before.threads());
    }

    /** What a row is. */
    private enum Kind { MOXIE, PEER, LIMIT }

    /** One measured row: a candidate's timing and its FLOP count. */
    private record Row(String name, Interleaved.Timing timing, double flops, Kind kind) {
        double gflops() {
            return flops / timing.median() / 1e6;
        }

        boolean limit() {
            return kind == Kind.LIMIT;
        }
    }

    private List<Row> layer(NDManager root) {
        double flops = layerFlops();
        try (NDManager scope = root.newSubManager()) {
            RandomWeights random = new RandomWeights(scope);
            TestContext store = random.clipLayer(D, I, E);
            NDArray x = random.normal(1, 1, T, D);
            Map<String, Forward> layers = new LinkedHashMap<>();
            layers.put("mlp (loop, DJL), attention on OpenBLAS", layer(store, scope, new MlpExpertBankFactory(), false));
            layers.put("grouped-mlp (DJL), attention on DJL", layer(store, scope, new GroupedMlpExpertBankFactory(), true));
            layers.put("grouped-mlp (DJL), attention on OpenBLAS", layer(store, scope, new GroupedMlpExpertBankFactory(), false));
            layers.put("grouped-mlp-blas, attention on OpenBLAS", layer(store, scope, new BlasMlpExpertBankFactory(), false));
            return compare("layer", scope, x, layers, T * K, D, flops);
        }
    }

    private List<Row> connector(NDManager root) {
        double flops = connectorFlops();
        try (NDManager scope = root.newSubManager()) {
            RandomWeights random = new RandomWeights(scope);
            TestContext store = random.connector(CIN, H, E);
            NDArray x = random.normal(1, N, CIN);
            String p = RandomWeights.PROJECTOR;
            MoeSpec spec = new MoeSpec("projector", p + "gate.weight", E, K,
                    Map.of("fc1.weight", p + "experts.{e}.0.weight", "fc1.bias", p + "experts.{e}.0.bias",
                            "fc2.weight", p + "experts.{e}.2.weight", "fc2.bias", p + "experts.{e}.2.bias"),
                    Map.of("activation", "gelu", "input_size", Integer.toString(CIN)));
            Map<String, Forward> banks = new LinkedHashMap<>();
            for (ExpertBankFactory f : new ExpertBankFactory[] {new MlpExpertBankFactory(),
                new GroupedMlpExpertBankFactory(), new BlasMlpExpertBankFactory()}) {
                MoeLayer moe = new BenchComponent("connector-" + f.name(), store, scope, f).moeLayer(spec);
                banks.put(f.name() + (f.name().endsWith("blas") ? "" : " (DJL)"), (in, request) -> moe.forward(in, request).output());
            }
            return compare("connector", scope, x, banks, N * K, CIN, flops);
        }
    }

    /**
     * Checks that Moxie's candidates for {@code part} agree, then times them, each doing {@code flops}, with the
     * peer's workload of the same name and the limit GEMMs ({@code m x k} inputs).
     */
    private List<Row> compare(String part, NDManager scope, NDArray x, Map<String, Forward> moxie, int m, int k,
                              double flops) {
        List<Interleaved.Candidate> candidates = new ArrayList<>();
        List<Double> flopCounts = new ArrayList<>();
        for (Map.Entry<String, Forward> c : moxie.entrySet()) {
            candidates.add(new Interleaved.Candidate(c.getKey(), () -> FreshRequest.timed(scope, x, c.getValue())));
            flopCounts.add(flops);
        }
        checkAgreement(part, scope, x, moxie);
        return measure(candidates, flopCounts, scope, m, k, flops, part);
    }

    /** The layer's attention (T·D² and T²·D terms) and its MoE (gate + experts) timed apart, same sizes. */
    private List<Row> breakdown(NDManager root) {
        double attentionFlops = 8.0 * T * D * D + 4.0 * T * T * D;
        double moeFlops = 2.0 * T * D * E + 4.0 * T * K * D * I;
        try (NDManager scope = root.newSubManager()) {
            RandomWeights random = new RandomWeights(scope);
            TestContext store = random.clipLayer(D, I, E);
            NDArray x = random.normal(1, 1, T, D);
            NDArray tokens = x.reshape(T, D);
            List<Interleaved.Candidate> candidates = new ArrayList<>();
            List<Double> flopCounts = new ArrayList<>();
            for (boolean djl : new boolean[] {true, false}) {
                Forward attention = BenchLayer.attention(new BenchComponent("attention", store, scope,
                        new MlpExpertBankFactory()), D, HEADS, djl)::forward;
                candidates.add(new Interleaved.Candidate("attention on " + (djl ? "DJL" : "OpenBLAS"),
                        () -> FreshRequest.timed(scope, x, attention)));
                flopCounts.add(attentionFlops);
            }
            String p = RandomWeights.LAYER;
            MoeSpec spec = new MoeSpec("layer0", p + "gate.weight", E, K,
                    Map.of("fc1.weight", p + "experts.{e}.fc1.weight", "fc1.bias", p + "experts.{e}.fc1.bias",
                            "fc2.weight", p + "experts.{e}.fc2.weight", "fc2.bias", p + "experts.{e}.fc2.bias"),
                    Map.of("activation", "quick_gelu", "input_size", Integer.toString(D)));
            for (ExpertBankFactory f : new ExpertBankFactory[] {new MlpExpertBankFactory(),
                new GroupedMlpExpertBankFactory(), new BlasMlpExpertBankFactory()}) {
                MoeLayer moe = new BenchComponent("moe-" + f.name(), store, scope, f).moeLayer(spec);
                candidates.add(new Interleaved.Candidate("MoE (gate + experts) on " + f.name(),
                        () -> FreshRequest.timed(scope, tokens, (in, request) -> moe.forward(in, request).output())));
                flopCounts.add(moeFlops);
            }
            return measure(candidates, flopCounts, scope, T * K, D, moeFlops, null);
        }
    }

    /**
     * Times Moxie's candidates, the reference peer's {@code workload} (if any) and the limit GEMMs in the same rounds.
     */
    private List<Row> measure(List<Interleaved.Candidate> candidates, List<Double> flopCounts, NDManager scope, int m,
                              int k, double flops, String workload) {
        List<Kind> kinds = new ArrayList<>();
        candidates.forEach(c -> kinds.add(Kind.MOXIE));
        if (peer != null && workload != null) {
            candidates.add(new Interleaved.Candidate("PyTorch eager, authors' loop (the reference's bench code, timed "
                    + "in the same rounds)", () -> peer.call(workload), Interleaved.pause(SETTLE_MS)));
            flopCounts.add(flops);
            kinds.add(Kind.PEER);
        }
        for (BlasLimit limit : new BlasLimit[] {new BlasLimit(scope, m, k, flops, false, BlasLimit.Mode.THREADED),
            new BlasLimit(scope, m, k, flops, true, BlasLimit.Mode.THREADED),
            new BlasLimit(scope, m, k, flops, false, BlasLimit.Mode.SPLIT)}) {
            candidates.add(new Interleaved.Candidate("limit: OpenBLAS sgemm " + limit.describe(), limit::run,
                    limit.threaded() ? Interleaved.pause(SETTLE_MS) : () -> { }));
            flopCounts.add(limit.flops());
            kinds.add(Kind.LIMIT);
        }
        List<Interleaved.Timing> timings = Interleaved.run(candidates, options.warmup, options.iters);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < timings.size(); i++) {
            rows.add(new Row(timings.get(i).name(), timings.get(i), flopCounts.get(i), kinds.get(i)));
        }
        return rows;
    }

    private static Forward layer(TestContext store, NDManager scope, ExpertBankFactory bank, boolean djlAttention) {
        return BenchLayer.load(new BenchComponent("tower-" + bank.name(), store, scope, bank), D, HEADS, E, K,
                djlAttention)::forward;
    }

    /** All candidates must compute the same thing: report the largest difference from the first. */
    private void checkAgreement(String part, NDManager scope, NDArray x, Map<String, Forward> candidates) {
        float[] first = null;
        StringBuilder sb = new StringBuilder("- " + part + " outputs, max |difference| from the first row:");
        for (Map.Entry<String, Forward> c : candidates.entrySet()) {
            float[] y = FreshRequest.values(scope, x, c.getValue());
            if (first == null) {
                first = y;
                continue;
            }
            sb.append(String.format(Locale.ROOT, " %s %.1e;", c.getKey(), Agreement.maxDifference(first, y)));
        }
        line(sb.toString());
    }

    /** Runs the reference's own {@code bench}; a refusal or failure is reported, not fatal (null). */
    private ReferenceBench.Result reference(String when) {
        ReferenceBench.Result r;
        try {
            r = ReferenceBench.run(options.python, options.referenceScript, options.referenceIters, 3,
                    options.referenceThreads);
        } catch (IllegalStateException e) {
            line("- reference bench (" + when + ") did not run, load average " + Machine.load() + ": "
                    + e.getMessage().replace('\n', ' '));
            return null;
        }
        line("- reference bench (" + when + "), load average " + Machine.load() + ":");
        for (String l : r.text().split("\n")) {
            line("    " + l);
        }
        return r;
    }

    private void table(String title, List<Row> rows, ReferenceBench.Part before, ReferenceBench.Part after) {
        double limit = rows.stream().filter(Row::limit).mapToDouble(Row::gflops).max().orElse(Double.NaN);
        double peerMs = rows.stream().filter(r -> r.kind() == Kind.PEER).mapToDouble(r -> r.timing().median())
                .findFirst().orElse(Double.NaN);
        line("");
        line("### " + title);
        line("");
        line("| run | median ms (q1-q3; min) | GFLOP/s | speed-up vs PyTorch eager (same rounds) | of the limit's GFLOP/s |");
        line("|---|---|---|---|---|");
        for (Row r : rows) {
            Interleaved.Timing t = r.timing();
            line(String.format(Locale.ROOT, "| %s | %.1f (%.1f-%.1f; %.1f) | %.0f | %s | %.0f%% |", r.name(), t.median(),
                    t.q1(), t.q3(), t.min(), r.gflops(), r.limit() || Double.isNaN(peerMs) ? ""
                            : String.format(Locale.ROOT, "%.2fx", peerMs / t.median()), 100 * r.gflops() / limit));
        }
        if (before != null) {
            refRow("reference `bench` run just before (own process, own timing)", before, peerMs, limit);
        }
        if (after != null) {
            refRow("reference `bench` run just after", after, peerMs, limit);
        }
        if (before != null) {
            line(String.format(Locale.ROOT, "| (reference `bench`'s own same-FLOP torch matmul %s, before / after) | "
                    + "%.1f / %.1f | %.0f / %.0f | | |", before.matmulShape(), before.matmulMs(),
                    after == null ? Double.NaN : after.matmulMs(), before.matmulGflops(),
                    after == null ? Double.NaN : after.matmulGflops()));
        }
        rows.stream().filter(r -> r.kind() == Kind.MOXIE).min((a, b) -> Double.compare(a.timing().median(),
                b.timing().median())).ifPresent(best -> line(String.format(Locale.ROOT, "%n- fastest: %s, %s PyTorch "
                        + "eager's speed (goal 1.3x), %.0f%% of the limit's GFLOP/s (goal 80%%)", best.name(),
                Double.isNaN(peerMs) ? "?" : String.format(Locale.ROOT, "%.2fx", peerMs / best.timing().median()),
                100 * best.gflops() / limit)));
    }

    private void refRow(String name, ReferenceBench.Part p, double peerMs, double limit) {
        line(String.format(Locale.ROOT, "| %s | %.1f | %.0f | %s | %.0f%% |", name, p.ms(), p.gflops(),
                Double.isNaN(peerMs) ? "" : String.format(Locale.ROOT, "%.2fx", peerMs / p.ms()), 100 * p.gflops() / limit));
    }

    private static double layerFlops() {
        return 8.0 * T * D * D + 4.0 * T * T * D + 2.0 * T * D * E + 4.0 * T * K * D * I;
    }

    private static double connectorFlops() {
        return 2.0 * N * CIN * E + 2.0 * N * K * ((double) CIN * H + (double) H * H);
    }

    private static String gflop(double flops) {
        return String.format(Locale.ROOT, "%.1f GFLOP", flops / 1e9);
    }

    private void line(String s) {
        report.line(s);
    }

    /** Command-line options (docs/PERFORMANCE.md). */
    @Command(name = "CumoBench", sortOptions = false, description = "CuMo's MoE execution at real size against the "
            + "PyTorch reference and the OpenBLAS limit; prints a markdown report.")
    static final class Options {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Print these options and exit.")
        boolean help;
        @Option(names = "--iters", paramLabel = "N", description = "Timed rounds (default: ${DEFAULT-VALUE}).")
        int iters = 15;
        @Option(names = "--warmup", paramLabel = "N", description = "Warm-up rounds (default: ${DEFAULT-VALUE}).")
        int warmup = 3;
        @Option(names = "--reference-iters", paramLabel = "N",
                description = "Iterations of the reference's own bench (default: ${DEFAULT-VALUE}).")
        int referenceIters = 10;
        /** torch intra-op threads of the reference (peer and bench): Moxie's own count unless told otherwise. */
        @Option(names = "--reference-threads", paramLabel = "N", description = "torch intra-op threads of the "
                + "reference, 0 for torch's default (default: the available processors, ${DEFAULT-VALUE}).")
        int referenceThreads = Runtime.getRuntime().availableProcessors();
        @Option(names = "--no-reference", description = "Run no PyTorch reference at all (no peer, no reference bench).")
        boolean noReference;
        @Option(names = "--no-reference-bench", description = "Skip the reference's own bench before and after.")
        boolean noReferenceBench;
        @Option(names = "--python", paramLabel = "EXE", description = "Python of the reference (default: ${DEFAULT-VALUE}).")
        String python = "/usr/bin/python3";
        @Option(names = "--reference", paramLabel = "cumo_reference.py",
                description = "The reference script (default: ${DEFAULT-VALUE}).")
        Path referenceScript = Path.of("../shared/reference/cumo_reference.py");
        @Option(names = "--parts", paramLabel = "PART", split = ",", defaultValue = "layer,connector",
                description = "What to run, of layer, connector, breakdown, vision (default: ${DEFAULT-VALUE}).")
        List<String> parts;
        @Option(names = "--vision-images", paramLabel = "N",
                description = "(c) runs per process after loading (default: ${DEFAULT-VALUE}).")
        int visionImages = 2;
        @Option(names = "--vision-rounds", paramLabel = "N",
                description = "(c) rounds of processes (default: ${DEFAULT-VALUE}).")
        int visionRounds = 2;
        @Option(names = "--vision-dir", paramLabel = "DIR",
                description = "(c) the generated model, made on first use (default: ${DEFAULT-VALUE}).")
        Path visionDir = Path.of("/tmp/moxie-bench/clip-l-s2");
        @Option(names = "--vision-banks", paramLabel = "BANK", split = ",", defaultValue = "grouped-mlp-blas,grouped-mlp",
                description = "(c) expert banks, one process each (default: ${DEFAULT-VALUE}).")
        List<String> visionBanks;
        @Option(names = "--pipeline-template", paramLabel = "cumo-vision.yaml",
                description = "(c) the pipeline template (default: ${DEFAULT-VALUE}).")
        Path pipelineTemplate = Path.of("dist/src/main/dist/conf/model-types/cumo-vision.yaml");
        @Option(names = "--report", paramLabel = "FILE.md", description = "Also append the report to this file.")
        Path report;

        boolean reference() {
            return !noReference;
        }
    }
}
