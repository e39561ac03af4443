package io.moxie.kernel.schedule;

/**
 * Scheduler settings.
 *
 * @param workers threads running requests (forward passes); defaults to the number of cores
 * @param queueCapacity requests that may wait per pipeline; one more is refused at once with RESOURCE_EXHAUSTED
 */
public record SchedulerOptions(int workers, int queueCapacity) {
    public static final SchedulerOptions DEFAULTS =
            new SchedulerOptions(Runtime.getRuntime().availableProcessors(), 256);

    public SchedulerOptions {
        if (workers < 1) {
            throw new IllegalArgumentException("scheduler workers must be >= 1, got " + workers);
        }
        if (queueCapacity < 0) {
            throw new IllegalArgumentException("scheduler queue capacity must be >= 0, got " + queueCapacity);
        }
    }
}
