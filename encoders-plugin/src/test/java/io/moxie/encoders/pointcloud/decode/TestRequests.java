package io.moxie.encoders.pointcloud.decode;

import ai.djl.ndarray.NDManager;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;
import java.util.Map;
import java.util.function.Function;

public record TestRequests(NDManager manager) implements RequestContext {
    public String id() { return "t"; }
    public Map<String, String> parameters() { return Map.of(); }
    public boolean traceRouting() { return false; }
    public void recordRouting(String layer, Routing routing) { }
    public <T> T computeIfAbsent(String key, Function<String, T> init) { return init.apply(key); }
    public boolean isCancelled() { return false; }
}
