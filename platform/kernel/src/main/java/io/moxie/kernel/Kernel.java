package io.moxie.kernel;

import ai.djl.engine.Engine;
import io.moxie.api.MoxieException;
import io.moxie.kernel.builtin.IdentityStageFactory;
import io.moxie.kernel.device.DeviceManager;
import io.moxie.kernel.felix.FelixHost;
import io.moxie.kernel.model.Model;
import io.moxie.kernel.model.ModelRepository;
import io.moxie.kernel.pipeline.PipelineDefinition;
import io.moxie.kernel.pipeline.PipelineEngine;
import io.moxie.kernel.pipeline.PipelineYaml;
import io.moxie.kernel.pipeline.VersionInfo;
import io.moxie.kernel.registry.ComponentKind;
import io.moxie.kernel.schedule.Scheduler;
import io.moxie.kernel.store.PipelineStore;
import io.moxie.kernel.registry.ComponentRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Moxie kernel: the embedded OSGi framework with its plugins, the component registry, the model repository and
 * the pipeline engine, started and stopped together. Owns all of them.
 */
public final class Kernel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Kernel.class);

    private final KernelOptions options;
    private final ComponentRegistry registry = new ComponentRegistry();
    private final ModelRepository models;
    private final FelixHost felix;
    private final PipelineEngine engine;
    private final Scheduler scheduler;
    private final ModelTypes modelTypes;
    private final PipelineStore store;
    private final PipelineYaml yaml = new PipelineYaml();

    private Kernel(KernelOptions options) {
        this.options = options;
        this.models = new ModelRepository(options.modelRepository());
        this.modelTypes = new ModelTypes(options.modelTypesDir());
        this.store = options.pipelinesDir() == null ? null : new PipelineStore(options.pipelinesDir());
        this.felix = new FelixHost(options.bundlesDir(), options.pluginsDir(), registry);
        registry.register(ComponentKind.STAGE, new IdentityStageFactory(), "moxie-kernel (built in)");
        Engine.getInstance(); // before anything else touches DJL: see FelixHost.start
        DeviceManager devices = DeviceManager.discover(options.devices());
        this.engine = new PipelineEngine(registry, this::resolveModel, devices, options.engine());
        this.scheduler = new Scheduler(engine, options.scheduler());
    }

    /**
     * Starts a kernel: the framework and its bundles, then the pipelines of {@code conf/pipelines} and the default
     * pipelines of the repository's models. A pipeline that fails to build is reported and left out; the kernel
     * still starts.
     */
    public static Kernel start(KernelOptions options) {
        Kernel kernel = new Kernel(options);
        try {
            kernel.felix.start();
            kernel.deployStartupPipelines();
            return kernel;
        } catch (RuntimeException e) {
            kernel.close();
            throw e;
        }
    }

    private Model resolveModel(String reference) {
        if (reference.contains("/") || reference.contains("\\")) {
            return models.openDirectory(Path.of(reference));
        }
        return models.open(reference);
    }

    private void deployStartupPipelines() {
        List<CompletableFuture<VersionInfo>> pending = new ArrayList<>();
        Set<String> named = new HashSet<>();
        if (options.pipelinesDir() != null && Files.isDirectory(options.pipelinesDir())) {
            try (Stream<Path> files = Files.list(options.pipelinesDir())) {
                for (Path f : files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList()) {
                    try {
                        PipelineDefinition def = yaml.parse(Files.readString(f), f.getFileName().toString(), Map.of());
                        named.add(def.name());
                        pending.add(engine.deploy(def));
                    } catch (IOException | RuntimeException e) {
                        LOG.error("{}: {}", f.getFileName(), e.getMessage());
                    }
                }
            } catch (IOException e) {
                LOG.error("cannot list pipelines in {}: {}", options.pipelinesDir(), e.getMessage());
            }
        }
        if (options.serveRepositoryModels()) {
            for (String name : models.list()) {
                if (named.contains(name)) {
                    continue;
                }
                try {
                    pending.add(deployModel(name, models.open(name)));
                } catch (RuntimeException e) {
                    LOG.error("model '{}' not served: {}", name, e.getMessage());
                }
            }
        }
        for (CompletableFuture<VersionInfo> f : pending) {
            try {
                f.get(10, TimeUnit.MINUTES);
            } catch (Exception e) {
                LOG.error("{}", PipelineEngine.unwrap(e).getMessage());
            }
        }
    }

    /** Deploys the default pipeline of a model's type under the model's name. */
    public CompletableFuture<VersionInfo> deployModel(String pipelineName, Model model) {
        return engine.deploy(modelTypes.forModel(pipelineName, model.modelType(), model.directory()));
    }

    /**
     * Deploys a model directory (inside or outside the repository) with its type's default pipeline, named after
     * the directory, and waits until it serves.
     *
     * @return the pipeline's name
     */
    public String deployModelDirectory(Path dir) {
        Model model = models.openDirectory(dir);
        String name = model.name();
        try {
            deployModel(name, model).get();
        } catch (Exception e) {
            throw PipelineEngine.unwrap(e);
        } catch (Throwable t) {
            throw new MoxieException(String.valueOf(t.getMessage()), t);
        }
        return name;
    }

    /** Returns the pipeline engine. */
    public PipelineEngine engine() {
        return engine;
    }

    /**
     * Returns the store of pipeline definitions applied through the admin API ({@code conf/pipelines}), or null
     * when the kernel runs without one (a single model in process).
     */
    public PipelineStore pipelineStore() {
        return store;
    }

    /** Returns the scheduler: the way servers submit requests (bounded queues, deadlines, priorities). */
    public Scheduler scheduler() {
        return scheduler;
    }

    /** Returns the component registry. */
    public ComponentRegistry registry() {
        return registry;
    }

    /** Returns the OSGi host (bundle administration). */
    public FelixHost plugins() {
        return felix;
    }

    /** Returns the model repository. */
    public ModelRepository models() {
        return models;
    }

    /** Returns the options the kernel was started with. */
    public KernelOptions options() {
        return options;
    }

    /** Finishes queued requests, drains and closes every pipeline, stops the framework, and unmaps the models. */
    @Override
    public void close() {
        try {
            scheduler.drain(options.engine().drainTimeout().toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        scheduler.close();
        try {
            engine.close();
        } finally {
            try {
                felix.close();
            } finally {
                models.close();
            }
        }
    }
}
