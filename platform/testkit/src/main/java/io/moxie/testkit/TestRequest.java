package io.moxie.testkit;

import ai.djl.ndarray.NDManager;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A request for component tests: its memory scope is a sub-manager of the test's, its state behaves like the
 * kernel's (values that are {@link AutoCloseable} are closed with the request), and it records the routing it sees
 * and how often each state key was initialised.
 */
public final class TestRequest implements RequestContext, AutoCloseable {
    private final NDManager manager;
    private final Map<String, Object> state = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> initialisations = new ConcurrentHashMap<>();
    private final Map<String, Routing> routing = new LinkedHashMap<>();

    public TestRequest(NDManager parent) {
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
    public synchronized void recordRouting(String layer, Routing r) {
        routing.put(layer, r);
    }

    /** Returns the routing recorded per layer. */
    public synchronized Map<String, Routing> routing() {
        return new LinkedHashMap<>(routing);
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T computeIfAbsent(String key, Function<String, T> init) {
        return (T) state.computeIfAbsent(key, k -> {
            T value = init.apply(k);
            if (value != null) {
                initialisations.computeIfAbsent(k, x -> new AtomicInteger()).incrementAndGet();
            }
            return value;
        });
    }

    /** Returns how many times the value of {@code key} was computed (the kernel computes it at most once). */
    public int initialisations(String key) {
        AtomicInteger n = initialisations.get(key);
        return n == null ? 0 : n.get();
    }

    @Override
    public boolean isCancelled() {
        return false;
    }

    @Override
    public void close() {
        for (Object v : new ArrayList<>(state.values())) {
            if (v instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    throw new IllegalStateException("closing request state failed", e);
                }
            }
        }
        state.clear();
        manager.close();
    }
}
