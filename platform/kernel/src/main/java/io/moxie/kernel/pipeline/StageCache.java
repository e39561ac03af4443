package io.moxie.kernel.pipeline;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The built stages in use, by identity: stage kind and provider, model, configuration, router and expert bank
 * with their providers, device. Two pipelines serving the same model with the same decoder share one decoder (its
 * weights are loaded once), and a swap that changes one stage of a pipeline rebuilds only that stage. Thread-safe.
 */
final class StageCache {
    private final Map<String, BuiltStage> stages = new HashMap<>();

    /** Returns the stage with that identity, building it if nobody holds one; pair with {@link #release}. */
    BuiltStage acquire(String key, Supplier<BuiltStage> build) {
        synchronized (stages) {
            BuiltStage s = stages.get(key);
            if (s != null) {
                s.references++;
                return s;
            }
        }
        // built outside the lock: loading weights takes long, and other pipelines must not wait for it
        BuiltStage built = build.get();
        synchronized (stages) {
            BuiltStage raced = stages.get(key);
            if (raced != null) {
                raced.references++;
                built.close();
                return raced;
            }
            built.references = 1;
            stages.put(key, built);
            return built;
        }
    }

    /** Drops a reference; the last one closes the stage and frees its memory and lease. */
    void release(BuiltStage s) {
        boolean last;
        synchronized (stages) {
            last = --s.references == 0;
            if (last) {
                stages.remove(s.key);
            }
        }
        if (last) {
            s.close();
        }
    }

    /** Returns how many built stages are alive. */
    int size() {
        synchronized (stages) {
            return stages.size();
        }
    }
}
