package io.moxie.bench;

import com.google.gson.Gson;
import io.moxie.kernel.io.Npz;
import io.moxie.kernel.tensor.HostTensor;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * (c) The whole {@code cumo-vision} pipeline at CLIP-L/336 with S² [1,3] (24 layers, 23 used, 10 crops of 577 tokens
 * per image, connector 2048 → 4096 → 4096, E 4, top-2) on random weights: seconds per image and peak resident memory,
 * Moxie (one process per expert bank) against the reference's {@code run} (load, then {@code run_model}), on the same
 * model directory and the same PNG. The model is generated with the reference's own tools into a scratch folder
 * (about 4.4 GB, never committed) by {@code bench/src/main/python/cumo_vision_model.py}. The processes alternate
 * (reference, each bank, reference, ...) for {@code --vision-rounds} rounds; the runs of all rounds are pooled.
 */
final class VisionBench {
    private static final Path SCRIPT = Path.of("bench/src/main/python/cumo_vision_model.py");

    private final CumoBench.Options options;
    private final Consumer<String> out;

    VisionBench(CumoBench.Options options, Consumer<String> out) {
        this.options = options;
        this.out = out;
    }

    /** What one process reported. */
    private record Measured(String name, double load, List<Double> runs, double peakMb, double anonMb, double fileMb) {
        double median() {
            double[] s = runs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
        }
    }

    void run() {
        Path dir = options.visionDir.toAbsolutePath();
        String referenceDir = options.referenceScript.toAbsolutePath().getParent().toString();
        if (!Files.exists(dir.resolve("model.safetensors"))) {
            long start = System.nanoTime();
            process(List.of(options.python, SCRIPT.toString(), "--reference-dir", referenceDir, "make", "--out",
                    dir.toString()));
            out.accept(String.format(Locale.ROOT, "- generated %s with the reference's tools in %.0f s", dir,
                    (System.nanoTime() - start) / 1e9));
        }
        String runs = Integer.toString(options.visionImages);
        List<String> reference = List.of(options.python, SCRIPT.toString(), "--reference-dir", referenceDir, "time",
                "--model", dir.toString(), "--input", dir.resolve("inputs.npz").toString(), "--runs", runs,
                "--output", dir.resolve("out-reference.npz").toString());
        // processes alternate round after round, so a change of load over the minutes this takes hits all alike
        Map<String, List<Measured>> byRun = new LinkedHashMap<>();
        for (int round = 0; round < options.visionRounds; round++) {
            add(byRun, measured("PyTorch reference `run`", process(reference)));
            for (String bank : options.visionBanks) {
                List<String> java = new ArrayList<>();
                java.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
                java.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
                java.addAll(List.of("-cp", System.getProperty("java.class.path"), VisionRun.class.getName(),
                        dir.toString(), bank, dir.resolve("image.png").toString(), runs,
                        options.pipelineTemplate.toAbsolutePath().toString(), dir.resolve("out-" + bank + ".npz").toString()));
                add(byRun, measured("Moxie cumo-vision, experts " + bank, process(java)));
                if (round == 0) {
                    agreement(bank, dir.resolve("out-reference.npz"), dir.resolve("out-" + bank + ".npz"));
                }
            }
            out.accept("- vision round " + (round + 1) + " done, load average " + Machine.load());
        }
        List<Measured> merged = new ArrayList<>();
        byRun.forEach((name, list) -> merged.add(merge(name, list)));
        table(merged);
    }

    private static void add(Map<String, List<Measured>> byRun, Measured m) {
        byRun.computeIfAbsent(m.name(), n -> new ArrayList<>()).add(m);
    }

    /** One row per configuration: every process's runs together, the slowest load, the largest peak. */
    private static Measured merge(String name, List<Measured> list) {
        List<Double> runs = new ArrayList<>();
        list.forEach(m -> runs.addAll(m.runs()));
        return new Measured(name + " (" + list.size() + " processes)", list.stream().mapToDouble(Measured::load).max().orElse(-1),
                runs, list.stream().mapToDouble(Measured::peakMb).max().orElse(-1),
                list.get(list.size() - 1).anonMb(), list.get(list.size() - 1).fileMb());
    }

    private void table(List<Measured> measured) {
        double reference = measured.get(0).median();
        out.accept("");
        out.accept("### (c) cumo-vision at CLIP-L/336, S² [1,3], random weights: one 640x480 PNG, "
                + options.visionImages + " runs per process after loading, " + options.visionRounds
                + " rounds of processes (reference, then each bank)");
        out.accept("");
        out.accept("| run | load s | s per image (median) | all runs s | peak RSS MB | at the end: allocated / "
                + "file-mapped MB | speed-up vs reference |");
        out.accept("|---|---|---|---|---|---|---|");
        for (Measured m : measured) {
            out.accept(String.format(Locale.ROOT, "| %s | %.1f | %.2f | %s | %.0f | %.0f / %.0f | %.2fx |", m.name(),
                    m.load(), m.median(), m.runs().stream().map(s -> String.format(Locale.ROOT, "%.2f", s)).toList(),
                    m.peakMb(), m.anonMb(), m.fileMb(), reference / m.median()));
        }
    }

    /** Random weights make some routing decisions near ties: report how close the outputs are, not pass/fail. */
    private void agreement(String bank, Path referenceOut, Path moxieOut) {
        Map<String, HostTensor> expected = Npz.read(referenceOut);
        Map<String, HostTensor> actual = Npz.read(moxieOut);
        StringBuilder sb = new StringBuilder("- outputs of " + bank + " vs the reference:");
        for (String key : new String[] {"vision_features", "projected"}) {
            float[] e = expected.get(key).toFloatArray();
            float[] a = actual.get(key).toFloatArray();
            double max = 0;
            double scale = 0;
            for (int i = 0; i < e.length; i++) {
                max = Math.max(max, Math.abs(e[i] - a[i]));
                scale = Math.max(scale, Math.abs(e[i]));
            }
            sb.append(String.format(Locale.ROOT, " %s max |diff| %.2e (max |value| %.1f);", key, max, scale));
        }
        long same = 0;
        long total = 0;
        for (String key : expected.keySet()) {
            if (key.contains("router_indices") && actual.containsKey(key)) {
                long[] e = expected.get(key).toLongArray();
                long[] a = actual.get(key).toLongArray();
                total += e.length;
                for (int i = 0; i < e.length; i++) {
                    same += e[i] == a[i] ? 1 : 0;
                }
            }
        }
        sb.append(String.format(Locale.ROOT, " router indices equal: %d of %d (%.4f%%)", same, total, 100.0 * same / total));
        out.accept(sb.toString());
    }

    private static Measured measured(String name, String json) {
        String last = Arrays.stream(json.split("\n")).filter(l -> l.startsWith("{")).reduce((a, b) -> b)
                .orElseThrow(() -> new IllegalStateException(name + ": no result line in\n" + json));
        @SuppressWarnings("unchecked")
        Map<String, Object> m = new Gson().fromJson(last, Map.class);
        @SuppressWarnings("unchecked")
        List<Double> runs = (List<Double>) m.get("runs_s");
        return new Measured(name, (Double) m.get("load_s"), runs, (Double) m.get("peak_rss_mb"),
                (Double) m.getOrDefault("rss_anon_mb", -1.0), (Double) m.getOrDefault("rss_file_mb", -1.0));
    }

    private static String process(List<String> command) {
        return ChildProcess.output(command, Duration.ofHours(2));
    }
}
