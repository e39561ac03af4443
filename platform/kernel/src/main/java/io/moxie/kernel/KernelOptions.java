package io.moxie.kernel;

import io.moxie.kernel.device.DeviceOptions;
import io.moxie.kernel.pipeline.EngineOptions;
import io.moxie.kernel.schedule.SchedulerOptions;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the kernel finds its parts. A distribution lays them out under one home folder ({@link #ofHome(Path)});
 * tests and embedders may point each anywhere.
 *
 * @param bundlesDir bundles started at start-up ({@code bundles/})
 * @param pluginsDir the hot-deploy folder ({@code plugins/}), or null for none
 * @param modelRepository the model repository ({@code models/})
 * @param pipelinesDir pipeline definitions deployed at start-up ({@code conf/pipelines/}), or null
 * @param modelTypesDir default pipelines per {@code model_type} ({@code conf/model-types/}), or null
 * @param serveRepositoryModels whether every model of the repository is served at start-up under its own name
 * @param engine engine timing settings
 * @param devices device capacities and reserve ({@code conf/moxie.yaml})
 * @param scheduler worker threads and queue capacity of the scheduler requests go through
 */
public record KernelOptions(Path bundlesDir, Path pluginsDir, Path modelRepository, Path pipelinesDir,
                            Path modelTypesDir, boolean serveRepositoryModels, EngineOptions engine,
                            DeviceOptions devices, SchedulerOptions scheduler) {
    public KernelOptions {
        Objects.requireNonNull(bundlesDir, "bundlesDir");
        Objects.requireNonNull(modelRepository, "modelRepository");
        Objects.requireNonNull(engine, "engine");
        Objects.requireNonNull(devices, "devices");
        Objects.requireNonNull(scheduler, "scheduler");
    }

    /** Options with the default scheduler. */
    public KernelOptions(Path bundlesDir, Path pluginsDir, Path modelRepository, Path pipelinesDir,
                         Path modelTypesDir, boolean serveRepositoryModels, EngineOptions engine, DeviceOptions devices) {
        this(bundlesDir, pluginsDir, modelRepository, pipelinesDir, modelTypesDir, serveRepositoryModels, engine,
                devices, SchedulerOptions.DEFAULTS);
    }

    /** Options with discovered device capacities. */
    public KernelOptions(Path bundlesDir, Path pluginsDir, Path modelRepository, Path pipelinesDir,
                         Path modelTypesDir, boolean serveRepositoryModels, EngineOptions engine) {
        this(bundlesDir, pluginsDir, modelRepository, pipelinesDir, modelTypesDir, serveRepositoryModels, engine,
                DeviceOptions.DEFAULTS, SchedulerOptions.DEFAULTS);
    }

    /** The layout of a distribution under {@code home}: everything on, the hot-deploy folder watched. */
    public static KernelOptions ofHome(Path home) {
        return new KernelOptions(home.resolve("bundles"), home.resolve("plugins"), home.resolve("models"),
                home.resolve("conf/pipelines"), home.resolve("conf/model-types"), true, EngineOptions.DEFAULTS,
                DeviceOptions.read(home.resolve("conf/moxie.yaml")));
    }

    /** Returns a copy with another model repository. */
    public KernelOptions withModelRepository(Path repo) {
        return new KernelOptions(bundlesDir, pluginsDir, repo, pipelinesDir, modelTypesDir, serveRepositoryModels, engine, devices, scheduler);
    }

    /** Returns a copy with another hot-deploy folder (null for none). */
    public KernelOptions withPluginsDir(Path dir) {
        return new KernelOptions(bundlesDir, dir, modelRepository, pipelinesDir, modelTypesDir, serveRepositoryModels, engine, devices, scheduler);
    }

    /** Returns a copy that deploys nothing at start-up (for running one model in process). */
    public KernelOptions withoutStartupDeployments() {
        return new KernelOptions(bundlesDir, pluginsDir, modelRepository, null, modelTypesDir, false, engine, devices, scheduler);
    }

    /** Returns a copy with other device settings. */
    public KernelOptions withDevices(DeviceOptions options) {
        return new KernelOptions(bundlesDir, pluginsDir, modelRepository, pipelinesDir, modelTypesDir, serveRepositoryModels, engine, options, scheduler);
    }

    /** Returns a copy with other scheduler settings. */
    public KernelOptions withScheduler(SchedulerOptions options) {
        return new KernelOptions(bundlesDir, pluginsDir, modelRepository, pipelinesDir, modelTypesDir, serveRepositoryModels, engine, devices, options);
    }

    /** Returns a copy with other engine settings. */
    public KernelOptions withEngine(EngineOptions options) {
        return new KernelOptions(bundlesDir, pluginsDir, modelRepository, pipelinesDir, modelTypesDir, serveRepositoryModels, options, devices, scheduler);
    }
}
