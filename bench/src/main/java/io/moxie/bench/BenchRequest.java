package io.moxie.bench;

import ai.djl.ndarray.NDManager;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/** One timed call's request: its memory scope is a sub-manager of the caller's, freed by {@link #close()}. */
final class BenchRequest implements RequestContext, AutoCloseable {
    private final NDManager manager;
    private final Map<String, Object> state = new ConcurrentHashMap<>();

    BenchRequest(NDManager parent) {
        this.manager = parent.newSubManager();
    }

    @Override
    public String id() {
        return "bench";
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public Map<String, String> parameters() {
        return Map.of();
    }

    @Override
    public boolean traceRouting() {
        return false;
    }

    @Override
    public void recordRouting(String layer, Routing routing) {
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T computeIfAbsent(String key, Function<String, T> init) {
        return (T) state.computeIfAbsent(key, init);
    }

    @Override
    public boolean isCancelled() {
        return false;
    }

    @Override
    public void close() {
        manager.close();
    }
}
