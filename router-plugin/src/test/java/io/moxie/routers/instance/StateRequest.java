package io.moxie.routers.instance;

import ai.djl.ndarray.NDManager;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/** A request with real request state (counting how often a key is initialised) and a sub-manager of the test's. */
final class StateRequest implements RequestContext, AutoCloseable {
    private final NDManager manager;
    private final Map<String, Object> state = new ConcurrentHashMap<>();
    final Map<String, AtomicInteger> initialised = new ConcurrentHashMap<>();

    StateRequest(NDManager parent) {
        this.manager = parent.newSubManager();
    }

    @Override
    public String id() {
        return "test";
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
        return (T) state.computeIfAbsent(key, k -> {
            T value = init.apply(k);
            if (value != null) {
                initialised.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet();
            }
            return value;
        });
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
