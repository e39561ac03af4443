package io.moxie.kernel.schedule;

import io.moxie.kernel.device.ResourceExhaustedException;
import io.moxie.kernel.pipeline.BatchingOptions;
import io.moxie.kernel.pipeline.DeadlineExceededException;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.pipeline.InferenceResult;
import io.moxie.kernel.pipeline.PipelineEngine;
import io.moxie.kernel.pipeline.UnknownPipelineException;
import java.util.ArrayList;
import java.util.List;
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
 * at the next stage boundary (its memory freed with its request scope). Pipelines with {@link BatchingOptions} get
 * dynamic batching: a worker that takes a request gathers compatible waiting ones (up to the batch size, waiting at
 * most the batching delay) and runs them as one pass. Thread-safe.
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

    /** Removes a telemetry listener. */
    public void removeListener(SchedulerListener listener) {
        listeners.remove(listener);
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
            q.notifyAll(); // a worker gathering a batch may be waiting for company
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
        if (job == null || !admit(pipeline, job)) {
            return;
        }
        List<Job> batch = gatherBatch(pipeline, q, job);
        q.running.addAndGet(batch.size());
        try {
            if (batch.size() == 1) {
                job.result.complete(engine.infer(pipeline, job.request));
            } else {
                List<InferenceRequest> requests = batch.stream().map(Job::request).toList();
                List<InferenceResult> results = engine.inferBatch(pipeline, requests);
                for (int i = 0; i < batch.size(); i++) {
                    batch.get(i).result.complete(results.get(i));
                }
            }
        } catch (RuntimeException | Error e) {
            batch.forEach(j -> j.result.completeExceptionally(e));
        } finally {
            q.running.addAndGet(-batch.size());
        }
    }

    /** Reports the wait, and answers a job that was given up or whose deadline passed in the queue; true to run it. */
    private boolean admit(String pipeline, Job job) {
        long waited = System.nanoTime() - job.enqueuedNanos;
        listeners.forEach(l -> l.dequeued(pipeline, waited));
        if (job.result.isDone()) {
            return false; // the caller gave up while it waited
        }
        if (job.request.pastDeadline()) {
            job.result.completeExceptionally(new DeadlineExceededException("pipeline '" + pipeline
                    + "': deadline exceeded after " + TimeUnit.NANOSECONDS.toMillis(waited) + " ms in the queue"));
            return false;
        }
        return true;
    }

    /**
     * Gathers jobs compatible with {@code first} (same inputs, same shapes but for the batch dimension, same
     * parameters) into one batch, waiting up to the pipeline's batching delay for more to arrive.
     */
    private List<Job> gatherBatch(String pipeline, PipelineQueue q, Job first) {
        List<Job> batch = new ArrayList<>(List.of(first));
        BatchingOptions batching;
        try {
            batching = engine.batching(pipeline);
        } catch (RuntimeException removed) {
            return batch;
        }
        if (batching == null || batching.maxBatchSize() < 2 || engine.batchRows(pipeline, first.request) < 0) {
            return batch;
        }
        String key = compatibilityKey(first.request);
        long until = first.enqueuedNanos + TimeUnit.MILLISECONDS.toNanos(batching.maxDelayMillis());
        synchronized (q) {
            while (true) {
                for (java.util.Iterator<Job> it = q.jobs.iterator(); it.hasNext() && batch.size() < batching.maxBatchSize(); ) {
                    Job j = it.next();
                    if (engine.batchRows(pipeline, j.request) > 0 && key.equals(compatibilityKey(j.request))) {
                        it.remove();
                        if (admit(pipeline, j)) {
                            batch.add(j);
                        }
                    }
                }
                long remaining = until - System.nanoTime();
                if (batch.size() >= batching.maxBatchSize() || remaining <= 0) {
                    return batch;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(q, remaining);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return batch;
                }
            }
        }
    }

    private static String compatibilityKey(InferenceRequest request) {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(request.inputs()).forEach((name, t) -> {
            long[] shape = t.shape();
            sb.append(name).append(':').append(t.dataType())
                    .append(java.util.Arrays.toString(java.util.Arrays.copyOfRange(shape, 1, shape.length))).append(';');
        });
        sb.append(new TreeMap<>(request.parameters()));
        return sb.toString();
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
