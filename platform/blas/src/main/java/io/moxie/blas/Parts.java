package io.moxie.blas;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinTask;
import java.util.function.IntConsumer;

/**
 * Runs the parts of one computation in parallel: part 0 on the calling thread, the others forked to the common
 * fork-join pool (which has {@code cores - 1} workers, so {@code cores} parts keep every core busy), and waits for all.
 * The core count is read on every call, never fixed.
 *
 * <p>Why not OpenBLAS's own threads: on few cores shared with other work, a lock-step parallel GEMM stalls whenever
 * one of its threads is descheduled, and its threads and the engine's OpenMP threads spin against each other between
 * calls (on the 2-core machine under load this made the same expert GEMMs 2.3x slower than independent parts, and a
 * ViT-L image 5-6x slower). Here each part runs single-threaded GEMMs on its own rows or columns from start to end; the
 * only synchronisation is the final join. If the pool is busy, a part that has not started yet is run by the joining
 * thread.
 */
public final class Parts {
    private Parts() {
    }

    /**
     * Returns how many parts to cut {@code work} units into: one per core, but none smaller than {@code minimum} units
     * (every part of a GEMM packs its operands again, so thin parts waste the cores they use).
     */
    public static int count(long work, int minimum) {
        return (int) Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), work / Math.max(1, minimum)));
    }

    /** Returns the first unit of part {@code part} of {@code parts} over {@code units} (part {@code parts} = the end). */
    public static int bound(int units, int part, int parts) {
        return (int) ((long) units * part / parts);
    }

    /**
     * Runs {@code part.accept(i)} for {@code i} in {@code [0, parts)} and returns when all have finished (also when one
     * failed: every part may be using memory the caller frees afterwards).
     *
     * @throws RuntimeException the first part's failure, the others' added as suppressed
     */
    public static void run(int parts, IntConsumer part) {
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
