package io.moxie.gateway.impl.health;

import io.moxie.kernel.pipeline.PipelineEngine;
import io.moxie.kernel.pipeline.PipelineStatus;
import io.vertx.core.Future;
import io.vertx.grpc.health.HealthService;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Keeps {@code grpc.health.v1.Health} in step with the engine: the gRPC service names answer SERVING while the
 * server accepts calls, and each pipeline's name answers SERVING while the pipeline is READY. Pipelines come and
 * go (apply, delete, load, unload), so {@link #sync()} runs after every such change and on a timer.
 *
 * <p>Registrations happen on the event loop (the health service is not meant to be shared across threads).
 */
public final class PipelineHealth {
    private final HealthService health;
    private final PipelineEngine engine;
    private final BooleanSupplier accepting;
    private final Set<String> registered = new HashSet<>();

    /**
     * @param services the gRPC service names to report
     * @param accepting false once the server is shutting down
     */
    public PipelineHealth(HealthService health, PipelineEngine engine, List<String> services, BooleanSupplier accepting) {
        this.health = health;
        this.engine = engine;
        this.accepting = accepting;
        for (String service : services) {
            health.register(service, () -> Future.succeededFuture(accepting.getAsBoolean()));
        }
    }

    /** Registers pipelines that appeared and unregisters those that went. Call on the event loop. */
    public void sync() {
        Set<String> now = new HashSet<>();
        for (PipelineStatus s : engine.list()) {
            now.add(s.name());
        }
        for (String name : now) {
            if (registered.add(name)) {
                health.register(name, () -> Future.succeededFuture(ready(name)));
            }
        }
        for (String name : Set.copyOf(registered)) {
            if (!now.contains(name)) {
                health.unregister(name);
                registered.remove(name);
            }
        }
    }

    private boolean ready(String name) {
        if (!accepting.getAsBoolean() || !engine.contains(name)) {
            return false;
        }
        try {
            return engine.status(name).state() == PipelineStatus.State.READY;
        } catch (RuntimeException removedMeanwhile) {
            return false;
        }
    }
}
