package io.moxie.gateway.impl;

import io.moxie.kernel.Kernel;
import io.moxie.kernel.pipeline.PipelineDefinition;
import io.moxie.kernel.pipeline.PipelineEngine;
import io.moxie.kernel.pipeline.PipelineStatus;
import io.moxie.kernel.pipeline.PipelineYaml;
import io.moxie.kernel.pipeline.UnknownPipelineException;
import io.moxie.kernel.pipeline.VersionInfo;
import io.moxie.kernel.store.PipelineStore;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The state-changing pipeline operations of both APIs: apply and delete a definition (persisted through the
 * {@link PipelineStore}), and load and unload a model. Every method blocks until the engine has finished: call
 * it from a worker thread.
 */
public final class PipelineAdmin {
    private static final long BUILD_TIMEOUT_MINUTES = 10;

    private final Kernel kernel;
    private final PipelineStore store;
    private final PipelineYaml yaml = new PipelineYaml();
    private final Runnable changed;

    /**
     * @param store where applied definitions persist, or null when the kernel has no pipelines folder
     * @param changed called after the set of pipelines changed (health registrations follow it)
     */
    public PipelineAdmin(Kernel kernel, PipelineStore store, Runnable changed) {
        this.kernel = kernel;
        this.store = store;
        this.changed = changed;
    }

    private PipelineEngine engine() {
        return kernel.engine();
    }

    /** Returns whether a pipeline's definition is persisted (it survives a restart). */
    public boolean persisted(String name) {
        return store != null && store.contains(name);
    }

    /**
     * Validates and deploys a definition, then persists it. A pipeline that existed keeps serving its old version
     * if the new one fails; a new pipeline that fails to build is removed again, so a failed apply changes nothing.
     *
     * @return the new version
     */
    public VersionInfo apply(String text) {
        PipelineDefinition def = yaml.parse(text, "applied definition", Map.of());
        boolean existed = engine().contains(def.name());
        try {
            VersionInfo v = await(engine().deploy(def));
            if (store != null) {
                store.save(def);
            }
            return v;
        } catch (RuntimeException e) {
            if (!existed && engine().contains(def.name())) {
                try {
                    await(engine().remove(def.name()));
                } catch (RuntimeException ignored) {
                    // the build failure is what the caller needs to see
                }
            }
            throw e;
        } finally {
            changed.run();
        }
    }

    /**
     * Removes a pipeline and its persisted definition.
     *
     * @throws UnknownPipelineException if neither exists
     */
    public void delete(String name) {
        boolean deployed = engine().contains(name);
        boolean removedFile = store != null && store.contains(name) && store.delete(name);
        if (!deployed && !removedFile) {
            throw new UnknownPipelineException("no pipeline named '" + name + "'");
        }
        try {
            if (deployed) {
                await(engine().remove(name));
            }
        } finally {
            changed.run();
        }
    }

    /**
     * Loads or reloads a model: a persisted definition of that name, else the model directory of that name with
     * its type's default pipeline, else (already deployed) its current definition again.
     *
     * @throws UnknownPipelineException if there is nothing of that name to load
     */
    public VersionInfo load(String name) {
        try {
            if (store != null && store.contains(name)) {
                String text = store.read(name).orElseThrow();
                return await(engine().deploy(yaml.parse(text, store.directory().resolve(name + ".yaml").toString(), Map.of())));
            }
            if (kernel.models().list().contains(name)) {
                return await(kernel.deployModel(name, kernel.models().open(name)));
            }
            if (engine().contains(name)) {
                PipelineStatus s = engine().status(name);
                return await(engine().deploy(s.definition()));
            }
            throw new UnknownPipelineException("no model, pipeline definition or deployed pipeline named '" + name + "'");
        } finally {
            changed.run();
        }
    }

    /** Unloads a pipeline; its persisted definition stays, so a restart or a load brings it back. */
    public void unload(String name) {
        try {
            await(engine().remove(name));
        } finally {
            changed.run();
        }
    }

    private static <T> T await(java.util.concurrent.CompletableFuture<T> f) {
        try {
            return f.get(BUILD_TIMEOUT_MINUTES, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new io.moxie.api.MoxieException("interrupted while waiting for the engine", e);
        } catch (Exception e) {
            throw PipelineEngine.unwrap(e);
        }
    }
}
