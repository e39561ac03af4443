package io.moxie.kernel.pipeline;

import ai.djl.ndarray.NDManager;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;
import java.util.Map;
import java.util.function.Function;

/**
 * A request as one device's expert bank of a spread layer sees it: the request, with a memory scope on that device
 * (so the bank computes there) that the spread bank closes once it has brought the result back.
 */
final class ShardRequest implements RequestContext, AutoCloseable {
    private final RequestContext request;
    private final NDManager manager;
    private final String device;

    /**
     * @param request the request being served
     * @param manager a scope on the shard's device, owned by this object
     * @param device the shard's device name, which keeps request-scoped state of the shards apart
     */
    ShardRequest(RequestContext request, NDManager manager, String device) {
        this.request = request;
        this.manager = manager;
        this.device = device;
    }

    @Override
    public String id() {
        return request.id();
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public Map<String, String> parameters() {
        return request.parameters();
    }

    @Override
    public boolean traceRouting() {
        return false;
    }

    @Override
    public void recordRouting(String layer, Routing routing) {
        // the layer's routing was recorded once, over every expert; the shards' per-device routings are not routings
    }

    @Override
    public <T> T computeIfAbsent(String key, Function<String, T> init) {
        return request.computeIfAbsent(device + "/" + key, k -> init.apply(key));
    }

    @Override
    public boolean isCancelled() {
        return request.isCancelled();
    }

    @Override
    public boolean isWarmUp() {
        return request.isWarmUp();
    }

    @Override
    public void close() {
        manager.close();
    }
}
