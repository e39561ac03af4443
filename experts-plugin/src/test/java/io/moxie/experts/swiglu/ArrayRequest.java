package io.moxie.experts.swiglu;

import ai.djl.ndarray.NDManager;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/** A request whose memory scope is a sub-manager of the test's; closes its state and scope like the kernel. */
public final class ArrayRequest implements RequestContext, AutoCloseable {
    private final NDManager manager;
    private final Map<String, Object> state = new ConcurrentHashMap<>();

    public ArrayRequest(NDManager parent) {
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
        return (T) state.computeIfAbsent(key, init);
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
                    throw new IllegalStateException(e);
                }
            }
        }
        manager.close();
    }
}
