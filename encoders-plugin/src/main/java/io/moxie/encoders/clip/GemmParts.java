package io.moxie.encoders.clip;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinTask;
import java.util.function.IntConsumer;

/**
 * Runs the parts of one computation in parallel: part 0 on the calling thread, the others forked to the common
 * fork-join pool ({@code cores - 1} workers), and waits for all. {@link BlasAttention} runs single-threaded OpenBLAS
 * GEMMs on independent parts instead of OpenBLAS's lock-step threads, which stall on few cores shared with other work
 * (the experts plugin's {@code grouped-mlp-blas} does the same, for the same measured reason). A part not started yet
 * when the caller joins is run by the caller.
 */
final class GemmParts {
    private GemmParts() {
    }

    /** Returns how many parts to cut {@code work} units into: one per core, at most one per unit. */
    static int count(long work) {
        return (int) Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), work));
    }

    /** Returns the first unit of part {@code part} of {@code parts} over {@code units}. */
    static int bound(int units, int part, int parts) {
        return (int) ((long) units * part / parts);
    }

    /** Runs every part and returns when all have finished, rethrowing the first failure (others suppressed). */
    static void run(int parts, IntConsumer part) {
        List<ForkJoinTask<?>> forked = new ArrayList<>();
        for (int i = 1; i < parts; i++) {
            int p = i;
            forked.add(ForkJoinTask.adapt(() -> part.accept(p)).fork());
        }
        Throwable failure = null;
        try {
            part.accept(0);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (ForkJoinTask<?> f : forked) {
            try {
                f.join();
            } catch (RuntimeException | Error e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure instanceof RuntimeException r) {
            throw r;
        }
        if (failure instanceof Error e) {
            throw e;
        }
    }
}
