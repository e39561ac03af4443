package io.moxie.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Times several candidates alternately: every round runs each once, in an order rotated from round to round, so load
 * from other processes and thermal or allocator drift hit all of them alike. Only ratios within one run are meant to
 * be compared.
 */
final class Interleaved {
    private Interleaved() {
    }

    /**
     * A named call to time, and what to do after it, untimed, before the next candidate starts ({@code settle}).
     */
    record Candidate(String name, Runnable call, Runnable settle) {
        Candidate(String name, Runnable call) {
            this(name, call, () -> { });
        }
    }

    /**
     * A settle step for calls that leave busy-waiting threads behind (OpenBLAS' pthreads spin for about 2^28 cycles,
     * some 0.1 s, after a threaded call; the PyTorch peer's OpenMP and OpenBLAS pools likewise): waiting them out keeps
     * that spinning from being charged to whichever candidate runs next.
     */
    static Runnable pause(long millis) {
        return () -> {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
    }

    /** Milliseconds over the timed rounds. */
    record Timing(String name, double median, double min, double q1, double q3) {
    }

    static List<Timing> run(List<Candidate> candidates, int warmup, int rounds) {
        int n = candidates.size();
        for (int w = 0; w < warmup; w++) {
            for (Candidate c : candidates) {
                c.call().run();
                c.settle().run();
            }
        }
        double[][] ms = new double[n][rounds];
        for (int r = 0; r < rounds; r++) {
            for (int j = 0; j < n; j++) {
                int i = (r + j) % n;
                long start = System.nanoTime();
                candidates.get(i).call().run();
                ms[i][r] = (System.nanoTime() - start) / 1e6;
                candidates.get(i).settle().run();
            }
        }
        List<Timing> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double[] s = ms[i].clone();
            Arrays.sort(s);
            out.add(new Timing(candidates.get(i).name(), quantile(s, 0.5), s[0], quantile(s, 0.25), quantile(s, 0.75)));
        }
        return out;
    }

    private static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = (int) Math.ceil(pos);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
