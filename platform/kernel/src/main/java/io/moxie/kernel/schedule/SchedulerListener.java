package io.moxie.kernel.schedule;

/** Observes the scheduler for telemetry; called on scheduler threads, must be fast and thread-safe. */
public interface SchedulerListener {

    /** A request left the queue of {@code pipeline} after waiting {@code queueNanos}. */
    default void dequeued(String pipeline, long queueNanos) {
    }

    /** A request was refused because the queue of {@code pipeline} was full. */
    default void rejected(String pipeline) {
    }
}
