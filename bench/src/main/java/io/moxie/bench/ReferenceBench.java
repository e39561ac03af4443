package io.moxie.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the PyTorch reference's {@code bench} (README §9 of the CuMo reference) as a {@link ChildProcess} with
 * {@code --threads} (Moxie's own thread count), and reads its medians and torch's thread count.
 */
final class ReferenceBench {
    private static final Pattern PART = Pattern.compile(
            "^(clip_moe_layer|mlp_moe_connector) .*: median ([0-9.]+) ms, ([0-9.]+) GFLOP/s", Pattern.MULTILINE);
    private static final Pattern THREADS = Pattern.compile("torch \\S+, ([0-9]+) intra-op threads");
    private static final Pattern MATMUL = Pattern.compile(
            "same-FLOP matmul (\\S+): median ([0-9.]+) ms, ([0-9.]+) GFLOP/s", Pattern.MULTILINE);

    /** One part's figures: the eager per-expert loop and its same-FLOP torch matmul. */
    record Part(double ms, double gflops, String matmulShape, double matmulMs, double matmulGflops) {
    }

    /** The whole output: the layer, the connector, torch's intra-op threads and the raw text. */
    record Result(Part layer, Part connector, int threads, String text) {
    }

    private ReferenceBench() {
    }

    /** @param threads torch intra-op threads ({@code --threads}; 0: torch's default) */
    static Result run(String python, Path script, int iters, int warmup, int threads) {
        List<String> command = List.of(python, script.toString(), "bench", "--iters", Integer.toString(iters),
                "--warmup", Integer.toString(warmup), "--threads", Integer.toString(threads));
        ChildProcess.Ended ended = ChildProcess.run(command, Duration.ofMinutes(30));
        if (!ended.succeeded()) {
            throw new IllegalStateException("reference bench failed (" + String.join(" ", command) + "):\n"
                    + ended.output());
        }
        return parse(ended.output());
    }

    static Result parse(String text) {
        Matcher part = PART.matcher(text);
        Matcher mm = MATMUL.matcher(text);
        Part layer = null;
        Part connector = null;
        while (part.find()) {
            if (!mm.find(part.end())) {
                throw new IllegalStateException("unexpected reference bench output:\n" + text);
            }
            Part p = new Part(Double.parseDouble(part.group(2)), Double.parseDouble(part.group(3)), mm.group(1),
                    Double.parseDouble(mm.group(2)), Double.parseDouble(mm.group(3)));
            if (part.group(1).equals("clip_moe_layer")) {
                layer = p;
            } else {
                connector = p;
            }
        }
        if (layer == null || connector == null) {
            throw new IllegalStateException("unexpected reference bench output:\n" + text);
        }
        Matcher threads = THREADS.matcher(text);
        return new Result(layer, connector, threads.find() ? Integer.parseInt(threads.group(1)) : -1, text.strip());
    }
}
