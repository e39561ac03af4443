package io.moxie.encoders.pointcloud.geometry;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ObjIntConsumer;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * Runs {@code body(scratch, i)} for {@code i = 0 .. count-1} on the calling thread and the common fork-join pool,
 * one scratch object per worker. Items are handed out one at a time, so uneven items (boxes of very different
 * sizes) still balance. The loop owns no threads, so nothing outlives a call; an exception in any item propagates
 * to the caller.
 */
public final class ParallelLoop {
    private ParallelLoop() {
    }

    /** Runs the loop; {@code scratch} is called once per worker. */
    public static <S> void run(int count, Supplier<S> scratch, ObjIntConsumer<S> body) {
        int workers = Math.min(count, Runtime.getRuntime().availableProcessors());
        if (workers <= 1) {
            S s = scratch.get();
            for (int i = 0; i < count; i++) {
                body.accept(s, i);
            }
            return;
        }
        AtomicInteger next = new AtomicInteger();
        IntStream.range(0, workers).parallel().forEach(w -> {
            S s = scratch.get();
            for (int i = next.getAndIncrement(); i < count; i = next.getAndIncrement()) {
                body.accept(s, i);
            }
        });
    }
}
