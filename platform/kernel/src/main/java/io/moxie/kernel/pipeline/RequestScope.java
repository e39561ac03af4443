package io.moxie.kernel.pipeline;

import ai.djl.ndarray.NDManager;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;
import io.moxie.kernel.tensor.HostTensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel's side of one request: its memory scope (closed with the scope), request-scoped state, and the
 * routing it recorded. Used by one request at a time.
 */
final class RequestScope implements RequestContext, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RequestScope.class);

    /** Ids of warm-up scopes start with this. */
    static final String WARM_UP_PREFIX = "warmup-";

    private final String id;
    private final NDManager manager;
    private final Map<String, String> parameters;
    private final boolean trace;
    private final RoutingListener routingListener;
    private final Map<String, Object> state = new ConcurrentHashMap<>();
    private final Map<String, HostTensor> traces = new LinkedHashMap<>();
    private final InferenceRequest request;

    /** Receives every routing decision (telemetry). */
    interface RoutingListener {
        void routed(String layer, Routing routing);
    }

    RequestScope(String id, NDManager parent, InferenceRequest request, RoutingListener listener) {
        this(id, parent, request.parameters(), request.traceRouting(), listener, request);
    }

    RequestScope(String id, NDManager parent, Map<String, String> parameters, boolean trace, RoutingListener listener) {
        this(id, parent, parameters, trace, listener, null);
    }

    private RequestScope(String id, NDManager parent, Map<String, String> parameters, boolean trace,
                         RoutingListener listener, InferenceRequest request) {
        this.id = id;
        this.request = request;
        this.manager = parent.newSubManager();
        this.manager.setName("request-" + id);
        this.parameters = parameters;
        this.trace = trace;
        this.routingListener = listener;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public Map<String, String> parameters() {
        return parameters;
    }

    @Override
    public boolean traceRouting() {
        return trace;
    }

    @Override
    public void recordRouting(String layer, Routing routing) {
        routingListener.routed(layer, routing);
        if (trace) {
            synchronized (traces) {
                traces.put(layer + "/indices", HostTensor.copyOf(routing.indices()));
                traces.put(layer + "/weights", HostTensor.copyOf(routing.weights()));
            }
        }
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T computeIfAbsent(String key, Function<String, T> init) {
        return (T) state.computeIfAbsent(key, init);
    }

    @Override
    public boolean isWarmUp() {
        return request == null && id.startsWith(WARM_UP_PREFIX);
    }

    @Override
    public void emitTokens(long[] tokenIds, String text) {
        if (request != null && request.tokens() != null) {
            request.tokens().tokens(tokenIds.clone(), text);
        }
    }

    @Override
    public boolean isCancelled() {
        return request != null && (request.pastDeadline() || request.cancelled().getAsBoolean());
    }

    /** Throws if the request was cancelled or its deadline passed, so no more work is spent on it. */
    void checkNotAbandoned(String where) {
        if (request == null) {
            return;
        }
        if (request.pastDeadline()) {
            throw new DeadlineExceededException("request " + id + ": deadline exceeded " + where);
        }
        if (request.cancelled().getAsBoolean()) {
            throw new CancelledException("request " + id + ": cancelled by the caller " + where);
        }
    }

    Map<String, HostTensor> traces() {
        synchronized (traces) {
            return new LinkedHashMap<>(traces);
        }
    }

    @Override
    public void close() {
        List<Object> values = new ArrayList<>(state.values());
        state.clear();
        for (Object v : values) {
            if (v instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.warn("request {}: closing request state failed: {}", id, e.toString());
                }
            }
        }
        manager.close();
    }
}
