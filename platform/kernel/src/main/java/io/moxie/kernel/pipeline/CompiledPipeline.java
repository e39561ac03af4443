package io.moxie.kernel.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.Device;
import io.moxie.api.InvalidInputException;
import io.moxie.api.MoeLayer;
import io.moxie.api.Stage;
import io.moxie.api.TensorSpec;
import io.moxie.kernel.registry.Provider;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One immutable, built and warmed-up version of a pipeline. Requests hold a reference while they run; the engine
 * holds one while the version is published. When the version is retired and the last request releases it, it
 * closes its stages and its memory scope (all weights of all its components).
 */
final class CompiledPipeline {
    private static final Logger LOG = LoggerFactory.getLogger(CompiledPipeline.class);

    /**
     * One stage of the version: its definition, the (possibly shared) built stage, and the router and expert bank
     * chosen from the definition's lists.
     */
    record CompiledStage(StageDefinition definition, BuiltStage built, ImplementationChoice router,
                         ImplementationChoice experts) {
        Stage stage() {
            return built.stage;
        }

        Map<String, Provider> providers() {
            return built.providers;
        }

        Device device() {
            return built.device;
        }

        List<MoeLayer> moeLayers() {
            return built.moeLayers;
        }
    }

    private final PipelineDefinition definition;
    private final VersionInfo info;
    private final List<CompiledStage> stages;
    private final StageCache cache;
    private final AtomicInteger references = new AtomicInteger(1);
    private final CompletableFuture<Void> closed = new CompletableFuture<>();
    private volatile boolean retired;

    CompiledPipeline(PipelineDefinition definition, VersionInfo info, List<CompiledStage> stages, StageCache cache) {
        this.definition = definition;
        this.info = info;
        this.stages = List.copyOf(stages);
        this.cache = cache;
    }

    PipelineDefinition definition() {
        return definition;
    }

    VersionInfo info() {
        return info;
    }

    List<CompiledStage> stages() {
        return stages;
    }

    /** Returns the providers every stage depends on, keyed by {@code KIND:name}. */
    Map<String, Provider> providers() {
        Map<String, Provider> all = new LinkedHashMap<>();
        stages.forEach(s -> all.putAll(s.providers()));
        return all;
    }

    /** Takes a reference for a request; false if the version is already closing. */
    boolean tryAcquire() {
        while (true) {
            int n = references.get();
            if (n <= 0) {
                return false;
            }
            if (references.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** Returns a reference taken by {@link #tryAcquire()}. */
    void release() {
        if (references.decrementAndGet() == 0) {
            closeNow();
        }
    }

    /** Drops the published reference; the version closes once in-flight requests finish. */
    CompletableFuture<Void> retire() {
        if (!retired) {
            synchronized (this) {
                if (!retired) {
                    retired = true;
                    release();
                }
            }
        }
        return closed;
    }

    /** Returns the number of requests running on this version (plus one while published). */
    int references() {
        return Math.max(references.get(), 0);
    }

    /** Closes even though requests may still run: the drain deadline passed. */
    void forceClose() {
        if (references.getAndSet(0) > 0) {
            LOG.warn("pipeline {} version {}: drain deadline passed with requests in flight; closing anyway",
                    info.pipeline(), info.version());
            closeNow();
        }
    }

    CompletableFuture<Void> closedFuture() {
        return closed;
    }

    private void closeNow() {
        synchronized (closed) {
            if (closed.isDone()) {
                return;
            }
            // each stage closes when no version of any pipeline uses it any more
            stages.forEach(st -> cache.release(st.built()));
            closed.complete(null);
        }
    }

    /**
     * Runs the version on a request's inputs (already checked against the pipeline inputs) and returns the
     * pipeline outputs, all attached to the request's manager.
     */
    Map<String, NDArray> run(Map<String, NDArray> inputs, RequestScope request) {
        Map<String, NDArray> values = new HashMap<>(inputs);
        for (CompiledStage compiled : stages) {
            StageDefinition def = compiled.definition();
            request.checkNotAbandoned("before stage '" + def.name() + "'");
            Map<String, NDArray> stageInputs = new LinkedHashMap<>();
            for (Map.Entry<String, String> port : def.inputs().entrySet()) {
                NDArray value = values.get(port.getValue());
                if (value != null) {
                    // a stage pinned to another device gets its inputs there; the copy belongs to the request
                    stageInputs.put(port.getKey(), value.getDevice().equals(compiled.device()) ? value
                            : value.toDevice(compiled.device(), true));
                }
            }
            checkStageInputs(def, compiled.stage().inputs(), stageInputs);
            Map<String, NDArray> out = compiled.stage().run(stageInputs, request);
            for (Map.Entry<String, NDArray> e : out.entrySet()) {
                values.put(def.name() + "." + e.getKey(), e.getValue());
            }
        }
        Map<String, NDArray> outputs = new LinkedHashMap<>();
        for (Map.Entry<String, String> out : definition.outputs().entrySet()) {
            String name = out.getKey();
            String source = out.getValue();
            if (name.endsWith("*")) {
                String namePrefix = name.substring(0, name.length() - 1);
                String sourcePrefix = source.substring(0, source.length() - 1);
                for (Map.Entry<String, NDArray> v : new java.util.TreeMap<>(values).entrySet()) {
                    if (v.getKey().startsWith(sourcePrefix)) {
                        outputs.put(namePrefix + v.getKey().substring(sourcePrefix.length()), v.getValue());
                    }
                }
                continue;
            }
            NDArray value = values.get(source);
            if (value != null) {
                outputs.put(name, value);
            }
        }
        return outputs;
    }

    private void checkStageInputs(StageDefinition def, List<TensorSpec> specs, Map<String, NDArray> given) {
        for (TensorSpec spec : specs) {
            NDArray a = given.get(spec.name());
            if (a == null) {
                continue; // optional ports; a stage that needs one says so itself
            }
            if (a.getDataType() != spec.dataType() && !(spec.dataType() == DataType.UNKNOWN)) {
                throw new InvalidInputException("stage '" + def.name() + "': input '" + spec.name() + "' must be "
                        + spec.dataType() + ", got " + a.getDataType());
            }
            if (!spec.accepts(a.getShape().getShape())) {
                throw new InvalidInputException("stage '" + def.name() + "': input '" + spec.name() + "' must have shape "
                        + Arrays.toString(spec.shape()) + " (-1 = any), got " + a.getShape());
            }
        }
    }
}
