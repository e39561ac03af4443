package io.moxie.kernel.pipeline;

import java.time.Duration;

/**
 * Timing settings of the {@link PipelineEngine}.
 *
 * @param drainTimeout how long a retired version may keep serving in-flight requests before it is closed anyway
 * @param coalesceDelay how long to gather plugin changes before rebuilding (one batch of bundle changes, one swap)
 * @param replacementGrace how long a version whose component was unregistered keeps serving while a replacement
 *                         may appear (a bundle update unregisters the old factory before the new one registers)
 */
public record EngineOptions(Duration drainTimeout, Duration coalesceDelay, Duration replacementGrace) {
    public static final EngineOptions DEFAULTS =
            new EngineOptions(Duration.ofSeconds(60), Duration.ofMillis(200), Duration.ofSeconds(3));

    public EngineOptions {
        if (drainTimeout.isNegative() || coalesceDelay.isNegative() || replacementGrace.isNegative()) {
            throw new IllegalArgumentException("engine durations must not be negative");
        }
    }
}
