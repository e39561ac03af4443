package io.moxie.kernel.schedule;

import io.moxie.kernel.device.ResourceExhaustedException;
import io.moxie.kernel.pipeline.DeadlineExceededException;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.pipeline.InferenceResult;
import io.moxie.kernel.pipeline.PipelineEngine;
import io.moxie.kernel.pipeline.UnknownPipelineException;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs requests on a fixed pool of worker threads, with a bounded queue per pipeline: a request that finds its
 * pipeline's queue full is refused at once ({@link ResourceExhaustedException}) instead of piling up; within a
 * queue, higher priority first, then arrival order; a request whose deadline passes while it waits is answered
 * with {@link DeadlineExceededException} without running, and one whose deadline passes while it runs is abandoned
 * at the next stage boundary (its memory freed with its request scope). Thread-safe.
 */
public final class Scheduler implements AutoCloseable {
    private final PipelineEngine engine;
    private final SchedulerOptions options;
    private final ExecutorService workers;
    private final Map<String, PipelineQueue> queues = new ConcurrentHashMap<>();
    private final AtomicLong sequence = new AtomicLong();
    private final CopyOnWriteArrayList<SchedulerListener> listeners = new CopyOnWriteArrayList<>();

    private record Job(long seq, int priority, InferenceRequest request, CompletableFuture<InferenceResult> result,
                       long enqueuedNanos) {
    }

    private static final class PipelineQueue {
        final PriorityQueue<Job> jobs = new PriorityQueue<>((a, b) -> a.priority != b.priority
                ? Integer.compare(b.priority, a.priority) : Long.compare(a.seq, b.seq));
        final AtomicInteger running = new AtomicInteger();
    }

    public Scheduler(PipelineEngine engine, SchedulerOptions options) {
        this.engine = engine;
        this.options = options;
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(options.workers(), r -> {
            Thread t = new Thread(r, "moxie-worker-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Adds a telemetry listener. */
    public void addListener(SchedulerListener listener) {
        listeners.add(listener);
    }

    /**
     * Queues a request.
     *
     * @param priority higher runs first among the pipeline's waiting requests
     * @return completes with the result, or exceptionally with the engine's error, {@link ResourceExhaustedException}
     *     (queue full), {@link DeadlineExceededException} or {@link UnknownPipelineException}
     */
    public CompletableFuture<InferenceResult> submit(String pipeline, InferenceRequest request, int priority) {
        if (!engine.contains(pipeline)) {
            return CompletableFuture.failedFuture(new UnknownPipelineException("no pipeline or model named '" + pipeline + "'"));
        }
        PipelineQueue q = queues.computeIfAbsent(pipeline, p -> new PipelineQueue());
        Job job = new Job(sequence.incrementAndGet(), priority, request, new CompletableFuture<>(), System.nanoTime());
        synchronized (q) {
            if (q.jobs.size() >= options.queueCapacity()) {
                listeners.forEach(l -> l.rejected(pipeline));
                return CompletableFuture.failedFuture(new ResourceExhaustedException("pipeline '" + pipeline
                        + "': queue full (" + options.queueCapacity() + " requests waiting); retry later"));
            }
            q.jobs.add(job);
        }
        try {
            workers.execute(() -> runNext(pipeline, q));
        } catch (RejectedExecutionException e) {
            synchronized (q) {
                q.jobs.remove(job);
            }
            job.result.completeExceptionally(new ResourceExhaustedException("the scheduler is shutting down"));
        }
        return job.result;
    }

    private void runNext(String pipeline, PipelineQueue q) {
        Job job;
        synchronized (q) {
            job = q.jobs.poll();
        }
        if (job == null) {
            return;
        }
        long waited = System.nanoTime() - job.enqueuedNanos;
        listeners.forEach(l -> l.dequeued(pipeline, waited));
        if (job.result.isDone()) {
            return; // the caller gave up while it waited
        }
        if (job.request.pastDeadline()) {
            job.result.completeExceptionally(new DeadlineExceededException("pipeline '" + pipeline
                    + "': deadline exceeded after " + TimeUnit.NANOSECONDS.toMillis(waited) + " ms in the queue"));
            return;
        }
        q.running.incrementAndGet();
        try {
            job.result.complete(engine.infer(pipeline, job.request));
        } catch (RuntimeException | Error e) {
            job.result.completeExceptionally(e);
        } finally {
            q.running.decrementAndGet();
        }
    }

    /** Returns how many requests wait, per pipeline. */
    public Map<String, Integer> queueDepths() {
        Map<String, Integer> out = new TreeMap<>();
        queues.forEach((p, q) -> {
            synchronized (q) {
                out.put(p, q.jobs.size());
            }
        });
        return out;
    }

    /** Returns how many requests run now, per pipeline. */
    public Map<String, Integer> running() {
        Map<String, Integer> out = new TreeMap<>();
        queues.forEach((p, q) -> out.put(p, q.running.get()));
        return out;
    }

    /** Stops taking requests and waits up to {@code timeoutMillis} for queued and running ones to finish. */
    public void drain(long timeoutMillis) throws InterruptedException {
        workers.shutdown();
        workers.awaitTermination(timeoutMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void close() {
        workers.shutdownNow();
        queues.values().forEach(q -> {
            synchronized (q) {
                q.jobs.forEach(j -> j.result.completeExceptionally(new ResourceExhaustedException("the scheduler closed")));
                q.jobs.clear();
            }
        });
    }
}
