package io.moxie.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.MoeLayer;
import io.moxie.api.MoeSpec;
import io.moxie.experts.GroupedMlpExpertBankFactory;
import io.moxie.experts.OffloadedMlpExpertBankFactory;
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
 * Expert offloading throughput (issue 6, Performance): the same MoE layer (topk router + experts) served by the
 * {@code grouped-mlp} bank, every expert resident, and by {@code offloaded-mlp} with its LRU budget at 100 %, 50 % and
 * 25 % of the layer's expert bytes, timed interleaved. Prints one markdown table per workload: ms per batch, batches
 * per second, ratio to {@code grouped-mlp}, and the offload hits, misses and evictions of the timed rounds.
 *
 * <p>Workloads (random weights drawn at the reference's scales, {@link RandomWeights}; each call takes the next input
 * of a pool, so the experts a batch needs vary from call to call as in serving):
 * <ul>
 *   <li>{@code vision}: a CuMo CLIP-MoE layer's experts, 577 tokens (one CLIP-L/336 image), D 1024, I 4096, E 4,
 *       top-2: every batch needs every expert, so below 100 % each batch pages experts in;</li>
 *   <li>{@code decode}: the same expert size, E 8, top-2, one token per batch (a decoding step): each batch needs
 *       two experts, so the LRU budget decides the hit rate.</li>
 * </ul>
 * On a CPU-only machine the paging is host to host (a copy of each paged expert), the same code as host to GPU.
 * Run it with {@code env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE} on its command line (docs/PERFORMANCE.md).
 */
public final class OffloadBench {
    private static final String[] BUDGETS = {"100%", "50%", "25%"};

    /**
     * One MoE layer shape and the batches it is fed.
     *
     * @param inputs the size of the input pool (warm-up runs through it once, so every budget starts warm)
     * @param rounds default timed rounds
     */
    record Workload(String name, String description, int tokens, int d, int intermediate, int experts, int topK,
                    int inputs, int rounds) {
        long expertBytes() {
            return 4L * (2L * d * intermediate + intermediate + d);
        }
    }

    private static final Map<String, Workload> WORKLOADS = Map.of(
            "vision", new Workload("vision", "CuMo CLIP-MoE layer experts, one CLIP-L/336 image", 577, 1024, 4096, 4,
                    2, 4, 15),
            "decode", new Workload("decode", "one decoding step over 8 experts of the same size", 1, 1024, 4096, 8, 2,
                    64, 256));

    private final Options options;
    private final Report report = new Report();

    private OffloadBench(Options options) {
        this.options = options;
    }

    public static void main(String[] args) {
        Options options = new Options();
        System.exit(BenchCommandLine.execute(options, () -> new OffloadBench(options).run(), args));
    }

    private void run() {
        report.heading("Expert offloading benchmark");
        line("- timing: warm-up through the workload's input pool, then timed rounds with the candidates interleaved "
                + "(each round runs every candidate once, order rotated); medians; counters over the timed rounds");
        Engine.getInstance().setRandomSeed(0); // DJL first, from the main thread (platform-facts §2)
        try (NDManager root = NDManager.newBaseManager()) {
            for (String name : options.workloads) {
                Workload w = WORKLOADS.get(name);
                if (w == null) {
                    throw new IllegalArgumentException("unknown workload " + name + " (workloads: "
                            + WORKLOADS.keySet() + ")");
                }
                workload(root, w);
            }
        }
        line("");
        line("- load average at the end: " + Machine.load());
        if (options.report != null) {
            report.appendTo(options.report);
        }
    }

    /** A bank under test: its MoE layer and, for offloaded banks, its budget. */
    private record Bank(String name, String budget, MoeLayer layer) {
        Forward forward() {
            return (x, request) -> layer.forward(x, request).output();
        }
    }

    private void workload(NDManager root, Workload w) {
        try (NDManager scope = root.newSubManager()) {
            RandomWeights random = new RandomWeights(scope);
            TestContext store = random.clipLayer(w.d(), w.intermediate(), w.experts());
            String p = RandomWeights.LAYER;
            MoeSpec spec = new MoeSpec("layer0", p + "gate.weight", w.experts(), w.topK(),
                    Map.of("fc1.weight", p + "experts.{e}.fc1.weight", "fc1.bias", p + "experts.{e}.fc1.bias",
                            "fc2.weight", p + "experts.{e}.fc2.weight", "fc2.bias", p + "experts.{e}.fc2.bias"),
                    Map.of("activation", "quick_gelu", "input_size", Integer.toString(w.d())));
            List<NDArray> inputs = new ArrayList<>();
            for (int i = 0; i < w.inputs(); i++) {
                inputs.add(random.normal(1, w.tokens(), w.d()));
            }
            List<Bank> banks = new ArrayList<>();
            banks.add(new Bank("grouped-mlp", "all resident",
                    layer(store, scope, new GroupedMlpExpertBankFactory(), Map.of(), spec)));
            for (String budget : BUDGETS) {
                banks.add(new Bank("offloaded-mlp", budget, layer(store, scope, new OffloadedMlpExpertBankFactory(),
                        Map.of("offload_budget", budget), spec)));
            }
            String agreement = agreement(scope, inputs.get(0), banks);

            List<Interleaved.Candidate> candidates = new ArrayList<>();
            for (Bank b : banks) {
                int[] cursor = {0}; // each bank sees the same sequence of inputs
                Forward forward = b.forward();
                candidates.add(new Interleaved.Candidate(b.name() + " " + b.budget(),
                        () -> FreshRequest.timed(scope, inputs.get(cursor[0]++ % inputs.size()), forward)));
            }
            int warmup = options.warmup >= 0 ? options.warmup : w.inputs();
            int rounds = options.iters > 0 ? options.iters : w.rounds();
            for (int i = 0; i < warmup; i++) {
                candidates.forEach(c -> c.call().run());
            }
            List<Map<String, Long>> before = banks.stream().map(b -> b.layer().experts().counters()).toList();
            List<Interleaved.Timing> timings = Interleaved.run(candidates, 0, rounds);
            table(w, banks, before, timings, agreement, warmup, rounds);
        }
    }

    private static MoeLayer layer(TestContext store, NDManager scope, ExpertBankFactory factory,
                                  Map<String, String> settings, MoeSpec spec) {
        return new BenchComponent("bench-" + factory.name(), store, scope, factory, settings).moeLayer(spec);
    }

    /** Every bank computes the same thing: the largest difference from {@code grouped-mlp}'s output. */
    private static String agreement(NDManager scope, NDArray x, List<Bank> banks) {
        float[] first = null;
        StringBuilder sb = new StringBuilder("max |difference| from grouped-mlp:");
        for (Bank b : banks) {
            float[] y = FreshRequest.values(scope, x, b.forward());
            if (first == null) {
                first = y;
                continue;
            }
            sb.append(String.format(Locale.ROOT, " %s %.1e;", b.budget(), Agreement.maxDifference(first, y)));
        }
        return sb.toString();
    }

    private void table(Workload w, List<Bank> banks, List<Map<String, Long>> before, List<Interleaved.Timing> timings,
                       String agreement, int warmup, int rounds) {
        double baseline = timings.get(0).median();
        line("");
        line(String.format(Locale.ROOT, "### %s: %s; tokens per batch %d, D %d, I %d, E %d, top-%d, %.1f MiB per "
                + "expert, %.1f MiB per layer", w.name(), w.description(), w.tokens(), w.d(), w.intermediate(),
                w.experts(), w.topK(), w.expertBytes() / 1048576.0, w.experts() * w.expertBytes() / 1048576.0));
        line("");
        line(String.format(Locale.ROOT, "- %d warm-up calls per bank, %d timed rounds over a pool of %d inputs; %s",
                warmup, rounds, w.inputs(), agreement));
        line("");
        line("| bank | expert budget | ms per batch, median (q1-q3; min) | batches/s | vs grouped-mlp | hits | misses "
                + "| evictions | hit rate | paged per batch |");
        line("|---|---|---|---|---|---|---|---|---|---|");
        for (int i = 0; i < banks.size(); i++) {
            Bank b = banks.get(i);
            Interleaved.Timing t = timings.get(i);
            Map<String, Long> after = b.layer().experts().counters();
            long hits = delta(after, before.get(i), "offload_hits");
            long misses = delta(after, before.get(i), "offload_misses");
            long evictions = delta(after, before.get(i), "offload_evictions");
            boolean offloaded = after.containsKey("offload_hits");
            line(String.format(Locale.ROOT, "| %s | %s | %.2f (%.2f-%.2f; %.2f) | %.1f | %.2fx | %s | %s | %s | %s | %s |",
                    b.name(), b.budget(), t.median(), t.q1(), t.q3(), t.min(), 1000 / t.median(), baseline / t.median(),
                    offloaded ? hits : "", offloaded ? misses : "", offloaded ? evictions : "",
                    offloaded && hits + misses > 0 ? String.format(Locale.ROOT, "%.0f%%", 100.0 * hits / (hits + misses)) : "",
                    offloaded ? String.format(Locale.ROOT, "%.1f MiB",
                            misses * (double) w.expertBytes() / rounds / 1048576.0) : ""));
        }
    }

    private static long delta(Map<String, Long> after, Map<String, Long> before, String counter) {
        return after.getOrDefault(counter, 0L) - before.getOrDefault(counter, 0L);
    }

    private void line(String s) {
        report.line(s);
    }

    /** Command-line options (docs/PERFORMANCE.md). */
    @Command(name = "OffloadBench", sortOptions = false, description = "Expert offloading throughput: grouped-mlp "
            + "against offloaded-mlp at expert budgets of 100, 50 and 25 %%; prints a markdown report.")
    static final class Options {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Print these options and exit.")
        boolean help;
        @Option(names = "--iters", paramLabel = "N", description = "Timed rounds (default: the workload's own).")
        int iters = -1;
        @Option(names = "--warmup", paramLabel = "N",
                description = "Warm-up calls per bank (default: one pass through the workload's input pool).")
        int warmup = -1;
        @Option(names = "--workloads", paramLabel = "WORKLOAD", split = ",", defaultValue = "vision,decode",
                description = "What to run, of vision, decode (default: ${DEFAULT-VALUE}).")
        List<String> workloads;
        @Option(names = "--report", paramLabel = "FILE.md", description = "Also append the report to this file.")
        Path report;
    }
}
