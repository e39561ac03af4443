package io.moxie.kernel.pipeline;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.moxie.api.InvalidInputException;
import io.moxie.api.MoxieException;
import io.moxie.api.Routing;
import io.moxie.kernel.device.DeviceManager;
import io.moxie.kernel.registry.ComponentKind;
import io.moxie.kernel.registry.ComponentRegistry;
import io.moxie.kernel.registry.Provider;
import io.moxie.kernel.registry.RegistryListener;
import io.moxie.kernel.tensor.HostTensor;
import io.moxie.kernel.tensor.HostTensors;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deploys pipelines, serves requests on them, and swaps their compiled versions when a definition or an installed
 * component changes.
 *
 * <p>Swapping: a new version is compiled and warmed up off to the side while the current one keeps serving; it is
 * then published with one atomic reference switch. Each request holds the version it started on until it ends,
 * so a request is computed wholly by one version. The old version closes (freeing its weights) when its last
 * request ends, or at the drain deadline. If the new version cannot be built, the old one keeps serving and the
 * failure is reported. All builds and swaps run on one thread, in order.
 *
 * <p>Thread-safe. {@link #infer} runs on the caller's thread.
 */
public final class PipelineEngine implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PipelineEngine.class);

    private final ComponentRegistry registry;
    private final EngineOptions options;
    private final DeviceManager devices;
    private final NDManager root;
    private final PipelineCompiler compiler;
    private final ScheduledExecutorService swapThread;
    private final Map<String, Handle> handles = new ConcurrentHashMap<>();
    private final List<EngineListener> listeners = new CopyOnWriteArrayList<>();
    private final Set<String> pendingChanges = new LinkedHashSet<>();
    private final AtomicLong requestIds = new AtomicLong();
    private final RegistryListener registryListener = this::providersChanged;
    private boolean refreshScheduled;

    /** One deployed pipeline. Mutable fields other than {@code current} are touched on the swap thread only. */
    private static final class Handle {
        final String name;
        final AtomicReference<CompiledPipeline> current = new AtomicReference<>();
        volatile PipelineDefinition definition;
        volatile PipelineStatus.State state = PipelineStatus.State.LOADING;
        volatile String lastError;
        int nextVersion = 1;
        long missingSinceNanos = -1;

        Handle(String name) {
            this.name = name;
        }
    }

    /**
     * @param registry the installed components
     * @param models how stages find their models
     * @param device the device pipelines run on
     * @param options timing settings
     */
    public PipelineEngine(ComponentRegistry registry, ModelResolver models, Device device, EngineOptions options) {
        this(registry, models, new DeviceManager(Map.of(device, Long.MAX_VALUE)), options);
    }

    /**
     * @param registry the installed components
     * @param models how stages find their models
     * @param devices the devices and their leases; pipelines run on the preferred device
     * @param options timing settings
     */
    public PipelineEngine(ComponentRegistry registry, ModelResolver models, DeviceManager devices, EngineOptions options) {
        this.registry = registry;
        this.options = options;
        this.devices = devices;
        this.root = NDManager.newBaseManager(devices.preferred());
        this.root.setName("moxie-engine");
        this.compiler = new PipelineCompiler(registry, models, root, devices);
        this.swapThread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "moxie-swap");
            t.setDaemon(true);
            return t;
        });
        registry.addListener(registryListener);
    }

    /** Adds a telemetry listener. */
    public void addListener(EngineListener listener) {
        listeners.add(listener);
    }

    /** Removes a telemetry listener. */
    public void removeListener(EngineListener listener) {
        listeners.remove(listener);
    }

    /**
     * Deploys a definition: builds a new version of the pipeline (the first, or the next one) and publishes it.
     *
     * @return completes with the new version, or exceptionally with why it could not be built (the previous version,
     *     if any, keeps serving)
     */
    public CompletableFuture<VersionInfo> deploy(PipelineDefinition definition) {
        return onSwapThread(() -> {
            Handle h = handles.computeIfAbsent(definition.name(), Handle::new);
            if (h.definition == null) {
                h.definition = definition;
            }
            return rebuild(h, definition);
        });
    }

    /**
     * Chooses another router and/or expert bank implementation for one stage and swaps to a version using it. The
     * name given replaces the stage's preference list: the stage then runs that implementation or fails to build.
     *
     * @param router the router implementation, or null to keep the current one
     * @param experts the expert bank implementation, or null to keep the current one
     */
    public CompletableFuture<VersionInfo> swap(String pipeline, String stage, String router, String experts) {
        return onSwapThread(() -> {
            Handle h = handle(pipeline);
            StageDefinition s = h.definition.stage(stage);
            if (router != null) {
                if (s.router().isEmpty()) {
                    throw new PipelineDefinitionException("pipeline '" + pipeline + "', stage '" + stage
                            + "' has no MoE layers, so no router to swap");
                }
                s = s.withRouter(router);
            }
            if (experts != null) {
                if (s.experts().isEmpty()) {
                    throw new PipelineDefinitionException("pipeline '" + pipeline + "', stage '" + stage
                            + "' has no MoE layers, so no expert bank to swap");
                }
                s = s.withExperts(experts);
            }
            return rebuild(h, h.definition.withStage(s));
        });
    }

    /** Removes a pipeline; its version drains and closes. */
    public CompletableFuture<Void> remove(String pipeline) {
        return onSwapThread(() -> {
            Handle h = handles.remove(pipeline);
            if (h == null) {
                throw new UnknownPipelineException("no pipeline '" + pipeline + "'");
            }
            CompiledPipeline old = h.current.getAndSet(null);
            h.state = PipelineStatus.State.UNAVAILABLE;
            return old == null ? null : retire(old);
        }).thenCompose(f -> f == null ? CompletableFuture.completedFuture(null) : f);
    }

    /** Returns whether a pipeline of that name is deployed (ready or not). */
    public boolean contains(String pipeline) {
        return handles.containsKey(pipeline);
    }

    /** Returns the status of every pipeline, sorted by name. */
    public List<PipelineStatus> list() {
        return handles.values().stream().map(this::status).sorted((a, b) -> a.name().compareTo(b.name())).toList();
    }

    /** Returns the status of one pipeline. */
    public PipelineStatus status(String pipeline) {
        return status(handle(pipeline));
    }

    private PipelineStatus status(Handle h) {
        CompiledPipeline v = h.current.get();
        return new PipelineStatus(h.name, h.state, v == null ? null : v.info(), h.lastError, h.definition);
    }

    /**
     * Serves one request.
     *
     * @throws UnknownPipelineException if no such pipeline is deployed
     * @throws PipelineUnavailableException if it has no version that can serve
     * @throws InvalidInputException if the inputs do not fit the pipeline (the message names the input)
     */
    public InferenceResult infer(String pipeline, InferenceRequest request) {
        long start = System.nanoTime();
        String status = "OK";
        Handle h = handles.get(pipeline);
        if (h == null) {
            throw new UnknownPipelineException("no pipeline or model named '" + pipeline + "'");
        }
        CompiledPipeline version = acquire(h);
        try (RequestScope scope = new RequestScope(Long.toString(requestIds.incrementAndGet()), root, request,
                (layer, routing) -> routed(pipeline, layer, routing))) {
            scope.checkNotAbandoned("before it started");
            Map<String, NDArray> inputs = toArrays(version.definition(), request.inputs(), scope.manager());
            Map<String, NDArray> outputs = version.run(inputs, scope);
            Map<String, HostTensor> host = new LinkedHashMap<>();
            outputs.forEach((name, array) -> host.put(name, HostTensor.copyOf(array)));
            return new InferenceResult(pipeline, version.info(), host, scope.traces());
        } catch (RuntimeException e) {
            status = e.getClass().getSimpleName();
            throw e;
        } finally {
            version.release();
            long nanos = System.nanoTime() - start;
            for (EngineListener l : listeners) {
                l.requestFinished(pipeline, status, nanos);
            }
        }
    }

    /**
     * Serves several compatible requests as one batch (see {@link BatchingOptions}): inputs concatenated along the
     * first dimension, one pass through the version, each request's rows of every output handed back to it.
     *
     * @return one result per request, in order
     * @throws InvalidInputException if the requests are not compatible
     */
    public List<InferenceResult> inferBatch(String pipeline, List<InferenceRequest> requests) {
        if (requests.size() == 1) {
            return List.of(infer(pipeline, requests.get(0)));
        }
        long start = System.nanoTime();
        String status = "OK";
        Handle h = handles.get(pipeline);
        if (h == null) {
            throw new UnknownPipelineException("no pipeline or model named '" + pipeline + "'");
        }
        long[] rows = new long[requests.size()];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = batchRows(pipeline, requests.get(i));
            if (rows[i] < 0) {
                throw new InvalidInputException("request " + i + " of the batch cannot be batched");
            }
        }
        Map<String, HostTensor> merged = new LinkedHashMap<>();
        for (String name : requests.get(0).inputs().keySet()) {
            List<HostTensor> parts = new ArrayList<>();
            for (InferenceRequest r : requests) {
                HostTensor t = r.inputs().get(name);
                if (t == null || !r.inputs().keySet().equals(requests.get(0).inputs().keySet())) {
                    throw new InvalidInputException("requests batched together must have the same inputs");
                }
                parts.add(t);
            }
            try {
                merged.put(name, HostTensors.concat(parts));
            } catch (IllegalArgumentException e) {
                throw new InvalidInputException("input '" + name + "': " + e.getMessage());
            }
        }
        long latestDeadline = 0;
        for (InferenceRequest r : requests) {
            if (r.deadlineNanos() == 0) {
                latestDeadline = 0;
                break;
            }
            latestDeadline = latestDeadline == 0 || r.deadlineNanos() - latestDeadline > 0 ? r.deadlineNanos() : latestDeadline;
        }
        InferenceRequest batch = new InferenceRequest(merged, requests.get(0).parameters(), false, latestDeadline, null);
        long total = java.util.Arrays.stream(rows).sum();
        CompiledPipeline version = acquire(h);
        try (RequestScope scope = new RequestScope(Long.toString(requestIds.incrementAndGet()), root, batch,
                (layer, routing) -> routed(pipeline, layer, routing))) {
            Map<String, NDArray> outputs = version.run(toArrays(version.definition(), merged, scope.manager()), scope);
            Map<String, HostTensor> host = new LinkedHashMap<>();
            outputs.forEach((name, array) -> host.put(name, HostTensor.copyOf(array)));
            List<InferenceResult> results = new ArrayList<>();
            long offset = 0;
            for (long n : rows) {
                Map<String, HostTensor> mine = new LinkedHashMap<>();
                for (Map.Entry<String, HostTensor> e : host.entrySet()) {
                    mine.put(e.getKey(), HostTensors.blockRows(e.getValue(), total, offset, n));
                }
                results.add(new InferenceResult(pipeline, version.info(), mine, Map.of()));
                offset += n;
            }
            return results;
        } catch (RuntimeException e) {
            status = e.getClass().getSimpleName();
            throw e;
        } finally {
            version.release();
            long nanos = System.nanoTime() - start;
            for (EngineListener l : listeners) {
                for (int i = 0; i < requests.size(); i++) {
                    l.requestFinished(pipeline, status, nanos);
                }
                l.batchRan(pipeline, requests.size());
            }
        }
    }

    /**
     * Returns the batch rows of a request that may join a batch of {@code pipeline}, or -1 when it cannot: every
     * input must be declared with a variable first dimension and rank at least 2 (one-dimensional inputs are
     * sequences or encoded bytes, not batches), and all inputs must agree on that first dimension; requests that ask
     * for routing traces run alone.
     */
    public long batchRows(String pipeline, InferenceRequest request) {
        Handle h = handles.get(pipeline);
        PipelineDefinition def = h == null ? null : h.definition;
        if (def == null || request.traceRouting() || request.inputs().isEmpty()) {
            return -1;
        }
        long rows = -1;
        for (Map.Entry<String, HostTensor> e : request.inputs().entrySet()) {
            PipelineDefinition.InputDefinition declared = def.inputs().stream()
                    .filter(i -> i.name().equals(e.getKey())).findFirst().orElse(null);
            long[] shape = e.getValue().shape();
            if (declared == null || declared.shape() == null || declared.shape().length < 2 || declared.shape()[0] != -1
                    || shape.length == 0 || (rows >= 0 && shape[0] != rows)) {
                return -1;
            }
            rows = shape[0];
        }
        return rows;
    }

    /** Returns the batching settings of a pipeline, or null when it runs requests alone. */
    public BatchingOptions batching(String pipeline) {
        PipelineDefinition def = handle(pipeline).definition;
        return def == null ? null : def.batching();
    }

    private CompiledPipeline acquire(Handle h) {
        while (true) {
            CompiledPipeline v = h.current.get();
            if (v == null) {
                throw new PipelineUnavailableException("pipeline '" + h.name + "' is " + h.state.name().toLowerCase()
                        + (h.lastError == null ? "" : ": " + h.lastError));
            }
            if (v.tryAcquire()) {
                return v;
            }
            // v was retired and drained between the read and the acquire: a newer version is published; retry
            Thread.onSpinWait();
        }
    }

    private void routed(String pipeline, String layer, Routing routing) {
        for (EngineListener l : listeners) {
            l.routed(pipeline, layer, routing);
        }
    }

    private static Map<String, NDArray> toArrays(PipelineDefinition def, Map<String, HostTensor> request, NDManager m) {
        Map<String, PipelineDefinition.InputDefinition> declared = new LinkedHashMap<>();
        def.inputs().forEach(i -> declared.put(i.name(), i));
        Map<String, HostTensor> given = new LinkedHashMap<>(request);
        for (PipelineDefinition.InputDefinition in : def.inputs()) {
            HostTensor t = given.get(in.name());
            if (in.encodedAs() != null && t != null && t.dataType() == DataType.UINT8
                    && DataTypes.parse(in.dataType(), "pipeline '" + def.name() + "'") != DataType.UINT8) {
                // the caller sent the file itself (a PLY, an .npy): the input that decodes files takes it
                if (given.containsKey(in.encodedAs())) {
                    throw new InvalidInputException("give either '" + in.name() + "' or '" + in.encodedAs() + "', not both");
                }
                given.put(in.encodedAs(), given.remove(in.name()));
            }
        }
        for (String name : given.keySet()) {
            if (!declared.containsKey(name)) {
                throw new InvalidInputException("pipeline '" + def.name() + "' has no input '" + name + "' (inputs: "
                        + declared.keySet() + ")");
            }
        }
        Map<String, NDArray> out = new HashMap<>();
        for (PipelineDefinition.InputDefinition in : declared.values()) {
            HostTensor t = given.get(in.name());
            if (t == null) {
                if (in.optional()) {
                    continue;
                }
                throw new InvalidInputException("pipeline '" + def.name() + "': missing input '" + in.name() + "'");
            }
            DataType want = DataTypes.parse(in.dataType(), "pipeline '" + def.name() + "'");
            if (t.dataType() != want) {
                throw new InvalidInputException("input '" + in.name() + "' must be " + in.dataType() + ", got "
                        + t.dataType().name().toLowerCase());
            }
            if (in.shape() != null && !shapeMatches(in.shape(), t.shape())) {
                throw new InvalidInputException("input '" + in.name() + "' must have shape " + Arrays.toString(in.shape())
                        + " (-1 = any), got " + Arrays.toString(t.shape()));
            }
            long bad = in.finite() ? HostTensors.firstNonFinite(t) : -1;
            if (bad >= 0) {
                throw new InvalidInputException("input '" + in.name() + "' must be finite, but element " + bad
                        + " of " + t + " is NaN or infinite");
            }
            out.put(in.name(), t.toNDArray(m));
        }
        return out;
    }

    private static boolean shapeMatches(long[] spec, long[] actual) {
        if (spec.length != actual.length) {
            return false;
        }
        for (int i = 0; i < spec.length; i++) {
            if (spec[i] >= 0 && spec[i] != actual[i]) {
                return false;
            }
        }
        return true;
    }

    // ---- swapping (swap thread only) ----

    private VersionInfo rebuild(Handle h, PipelineDefinition def) {
        CompiledPipeline next;
        try {
            next = compiler.compile(def, h.nextVersion);
        } catch (RuntimeException e) {
            h.lastError = e.getMessage();
            if (h.current.get() == null) {
                h.state = PipelineStatus.State.FAILED;
            }
            LOG.warn("pipeline {}: new version not built, {}: {}", h.name,
                    h.current.get() == null ? "nothing serves it" : "the old version keeps serving", e.getMessage());
            for (EngineListener l : listeners) {
                l.swapFailed(h.name, e.getMessage());
            }
            throw e;
        }
        h.nextVersion++;
        h.definition = def;
        h.lastError = null;
        h.missingSinceNanos = -1;
        CompiledPipeline old = h.current.getAndSet(next);
        h.state = PipelineStatus.State.READY;
        LOG.info("pipeline {}: version {} serving (warm-up {} ms){}", h.name, next.info().version(),
                next.info().warmUpMillis(), old == null ? "" : ", version " + old.info().version() + " draining");
        for (EngineListener l : listeners) {
            l.swapped(h.name, old == null ? null : old.info(), next.info());
        }
        if (old != null) {
            retire(old);
        }
        return next.info();
    }

    private CompletableFuture<Void> retire(CompiledPipeline old) {
        CompletableFuture<Void> closed = old.retire();
        if (!closed.isDone()) {
            swapThread.schedule(old::forceClose, options.drainTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }
        return closed;
    }

    private void providersChanged(ComponentKind kind, String name) {
        synchronized (pendingChanges) {
            pendingChanges.add(kind + ":" + name);
            if (refreshScheduled) {
                return;
            }
            refreshScheduled = true;
        }
        try {
            swapThread.schedule(this::refresh, options.coalesceDelay().toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // the engine is shutting down; nothing to rebuild
        }
    }

    private void refresh() {
        Set<String> changed;
        synchronized (pendingChanges) {
            changed = new LinkedHashSet<>(pendingChanges);
            pendingChanges.clear();
            refreshScheduled = false;
        }
        for (Handle h : new ArrayList<>(handles.values())) {
            if (h.definition != null && references(h.definition).stream().anyMatch(changed::contains)) {
                reconcile(h);
            }
        }
    }

    /**
     * Brings a pipeline in line with the installed components. A version whose component disappeared keeps serving
     * for the replacement grace (a bundle update unregisters before it registers again); then, if its preference list
     * has another entry that can run on the stage's devices, the pipeline is rebuilt with that one, else it is
     * unavailable.
     */
    private void reconcile(Handle h) {
        if (handles.get(h.name) != h) {
            return; // removed meanwhile
        }
        List<String> missing = missing(h.definition);
        CompiledPipeline current = h.current.get();
        if (current == null && !missing.isEmpty()) {
            h.state = PipelineStatus.State.UNAVAILABLE;
            h.lastError = String.join("; ", missing);
            return;
        }
        boolean vanished = current != null && usesVanished(current);
        if (!missing.isEmpty() || vanished) {
            long now = System.nanoTime();
            if (h.missingSinceNanos < 0) {
                h.missingSinceNanos = now;
                swapThread.schedule(() -> reconcile(h), options.replacementGrace().toMillis(), TimeUnit.MILLISECONDS);
                return;
            }
            if (now - h.missingSinceNanos < options.replacementGrace().toNanos()) {
                return; // a later scheduled check decides
            }
            if (!missing.isEmpty()) {
                unavailable(h, current, String.join("; ", missing));
                return;
            }
            LOG.info("pipeline {}: a component of version {} is gone; rebuilding with the next one its stage lists",
                    h.name, current.info().version());
        }
        h.missingSinceNanos = -1;
        if (current == null || !upToDate(current)) {
            try {
                rebuild(h, h.definition);
            } catch (RuntimeException e) {
                // reported by rebuild. The old version keeps serving only if all it runs is still installed: one
                // whose plugin is gone must not serve from it
                if (vanished) {
                    unavailable(h, current, e.getMessage());
                }
            }
        }
    }

    /** Takes the version out of service for good: the pipeline is unavailable until a rebuild succeeds. */
    private void unavailable(Handle h, CompiledPipeline current, String why) {
        h.current.set(null);
        h.state = PipelineStatus.State.UNAVAILABLE;
        h.lastError = why;
        LOG.warn("pipeline {}: {}; version {} retired", h.name, why, current.info().version());
        retire(current);
    }

    /** Returns whether the version uses a component whose name no installed plugin provides any more. */
    private boolean usesVanished(CompiledPipeline version) {
        return version.providers().values().stream().anyMatch(p -> registry.find(p.kind(), p.name()).isEmpty());
    }

    private boolean upToDate(CompiledPipeline version) {
        for (Map.Entry<String, Provider> used : version.providers().entrySet()) {
            Provider p = used.getValue();
            Provider preferred = registry.find(p.kind(), p.name()).orElse(null);
            if (preferred == null || preferred.serviceId() != p.serviceId()) {
                return false;
            }
        }
        return compiler.choicesCurrent(version);
    }

    /**
     * Why the definition cannot be built with what is installed, one reason per stage kind that is not installed and
     * per router or expert bank list none of whose entries can serve. An entry that is installed but does not run on
     * the stage's devices does not count, by the rule the compiler chooses with: it would not be built.
     */
    private List<String> missing(PipelineDefinition def) {
        Set<String> missing = new LinkedHashSet<>();
        for (StageDefinition s : def.stages()) {
            String where = "stage '" + s.name() + "'";
            if (registry.find(ComponentKind.STAGE, s.kind()).isEmpty()) {
                missing.add(where + ": no installed plugin provides the " + ComponentKind.STAGE.label() + " kind '" + s.kind()
                        + "'");
            }
            for (ComponentKind kind : List.of(ComponentKind.ROUTER, ComponentKind.EXPERTS)) {
                ImplementationChoice choice;
                try {
                    choice = compiler.choose(kind, s, "pipeline '" + def.name() + "', " + where);
                } catch (PipelineDefinitionException invalidPlacement) {
                    continue; // not a missing component: building the definition reports it
                }
                if (choice.chosen() == null && choice.refusal() != null) {
                    missing.add(where + ": " + choice.refusal());
                }
            }
        }
        return List.copyOf(missing);
    }

    /** Every component the definition names, as {@code KIND:name}: a change to any of them may change its version. */
    private static Set<String> references(PipelineDefinition def) {
        Set<String> refs = new LinkedHashSet<>();
        for (StageDefinition s : def.stages()) {
            refs.add(ComponentKind.STAGE + ":" + s.kind());
            s.router().forEach(name -> refs.add(ComponentKind.ROUTER + ":" + name));
            s.experts().forEach(name -> refs.add(ComponentKind.EXPERTS + ":" + name));
        }
        return refs;
    }

    private Handle handle(String pipeline) {
        Handle h = handles.get(pipeline);
        if (h == null) {
            throw new UnknownPipelineException("no pipeline or model named '" + pipeline + "'");
        }
        return h;
    }

    private <T> CompletableFuture<T> onSwapThread(java.util.function.Supplier<T> work) {
        return CompletableFuture.supplyAsync(work, swapThread);
    }

    /**
     * Returns the counters of every MoE layer's expert bank in the version serving a pipeline (offload hits and
     * misses, for instance), keyed by {@code stage/layer}; empty when nothing serves.
     */
    public Map<String, Map<String, Long>> layerCounters(String pipeline) {
        CompiledPipeline v = handle(pipeline).current.get();
        Map<String, Map<String, Long>> out = new LinkedHashMap<>();
        if (v != null) {
            for (CompiledPipeline.CompiledStage stage : v.stages()) {
                for (io.moxie.api.MoeLayer layer : stage.moeLayers()) {
                    Map<String, Long> c = layer.experts().counters();
                    if (!c.isEmpty()) {
                        out.put(stage.definition().name() + "/" + layer.name(), c);
                    }
                }
            }
        }
        return out;
    }

    /** Returns the devices and their leases. */
    public DeviceManager devices() {
        return devices;
    }

    /** Returns the engine's root memory manager (for leak accounting in tests and telemetry). */
    public NDManager rootManager() {
        return root;
    }

    /**
     * Stops accepting swaps, retires every version, waits for in-flight requests up to the drain timeout, and
     * frees all memory.
     */
    @Override
    public void close() {
        registry.removeListener(registryListener);
        List<CompletableFuture<Void>> closing = new ArrayList<>();
        List<CompiledPipeline> versions = new ArrayList<>();
        for (Handle h : handles.values()) {
            CompiledPipeline v = h.current.getAndSet(null);
            h.state = PipelineStatus.State.UNAVAILABLE;
            if (v != null) {
                versions.add(v);
                closing.add(v.retire());
            }
        }
        handles.clear();
        try {
            CompletableFuture.allOf(closing.toArray(new CompletableFuture[0]))
                    .get(options.drainTimeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            versions.forEach(CompiledPipeline::forceClose);
        }
        swapThread.shutdownNow();
        root.close();
    }

    /** Wraps a failure of an async admin call into the exception callers should see. */
    public static RuntimeException unwrap(Throwable t) {
        Throwable c = t;
        while ((c instanceof java.util.concurrent.CompletionException || c instanceof java.util.concurrent.ExecutionException)
                && c.getCause() != null) {
            c = c.getCause();
        }
        return c instanceof RuntimeException r ? r : new MoxieException(String.valueOf(c.getMessage()), c);
    }
}
