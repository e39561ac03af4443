package io.moxie.kernel.felix;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import io.moxie.api.MoxieException;
import io.moxie.api.Stage;
import io.moxie.kernel.registry.ComponentKind;
import io.moxie.kernel.registry.ComponentRegistry;
import io.moxie.kernel.registry.Provider;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.BundleException;
import org.osgi.framework.Constants;
import org.osgi.framework.FrameworkEvent;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.launch.Framework;
import org.osgi.framework.launch.FrameworkFactory;
import org.osgi.framework.wiring.FrameworkWiring;
import org.osgi.util.tracker.ServiceTracker;
import org.osgi.util.tracker.ServiceTrackerCustomizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded Apache Felix framework that runs Moxie's plugin bundles.
 *
 * <p>The host exports the plugin API, DJL and SLF4J through the system bundle, so bundles share the host's single
 * copy of DJL and its native library. Bundles in {@code bundles/} are installed and started at start-up; when a
 * plugins folder is given, Felix FileInstall (itself one of the bundles) watches it: a jar added is installed and
 * started, a jar changed is updated, a jar removed is uninstalled. Component factories registered by any bundle
 * are tracked into the {@link ComponentRegistry}.
 *
 * <p>Owns the framework and its storage folder; {@link #close()} stops both.
 */
public final class FelixHost implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(FelixHost.class);
    private static final String FILEINSTALL = "org.apache.felix.fileinstall";

    private final Path bundlesDir;
    private final Path pluginsDir;
    private final ComponentRegistry registry;
    private final Path storage;
    private final List<ServiceTracker<?, ?>> trackers = new ArrayList<>();
    private Framework framework;

    /**
     * @param bundlesDir bundles installed and started at start-up
     * @param pluginsDir the hot-deploy folder, or null for none
     * @param registry where tracked component factories go
     */
    public FelixHost(Path bundlesDir, Path pluginsDir, ComponentRegistry registry) {
        this.bundlesDir = bundlesDir;
        this.pluginsDir = pluginsDir;
        this.registry = registry;
        try {
            this.storage = Files.createTempDirectory("moxie-felix-");
        } catch (IOException e) {
            throw new MoxieException("cannot create the OSGi storage folder: " + e.getMessage(), e);
        }
    }

    /** Starts the framework, installs and starts the bundles, and begins tracking component factories. */
    public void start() {
        // DJL binds its engine to the class loader of the first thread that asks; it must be the host's.
        Engine.getInstance();
        Map<String, String> config = new HashMap<>();
        config.put(Constants.FRAMEWORK_STORAGE, storage.toString());
        config.put(Constants.FRAMEWORK_STORAGE_CLEAN, Constants.FRAMEWORK_STORAGE_CLEAN_ONFIRSTINIT);
        config.put(Constants.FRAMEWORK_SYSTEMPACKAGES_EXTRA, String.join(",",
                // the plugin API and the shared OpenBLAS GEMMs (io.moxie.blas): one copy for every bundle
                HostPackages.exportClauses(apiVersion(), Stage.class, io.moxie.blas.OpenBlas.class),
                HostPackages.exportClauses(Engine.getDjlVersion(), NDArray.class,
                        ai.djl.huggingface.tokenizers.HuggingFaceTokenizer.class),
                HostPackages.exportClauses("2.0.17", Logger.class),
                // JavaCPP and OpenBLAS: like DJL, a JNI library loads once per JVM, so bundles share the host's copy
                HostPackages.exportClauses("1.5.13", org.bytedeco.javacpp.Pointer.class, org.bytedeco.openblas.global.openblas.class)));
        config.put("ds.loglevel", "warn");
        if (pluginsDir != null) {
            config.put("felix.fileinstall.dir", pluginsDir.toAbsolutePath().toString());
            config.put("felix.fileinstall.poll", "500");
            config.put("felix.fileinstall.noInitialDelay", "true");
            config.put("felix.fileinstall.bundles.new.start", "true");
            config.put("felix.fileinstall.filter", ".*\\.jar");
            config.put("felix.fileinstall.log.level", "1");
            config.put("felix.fileinstall.enableConfigSave", "false");
        }
        FrameworkFactory factory = ServiceLoader.load(FrameworkFactory.class, FelixHost.class.getClassLoader())
                .findFirst().orElseThrow(() -> new MoxieException("no OSGi framework on the class path"));
        framework = factory.newFramework(config);
        try {
            framework.init();
            BundleContext context = framework.getBundleContext();
            for (ComponentKind kind : ComponentKind.values()) {
                track(context, kind);
            }
            List<Bundle> installed = new ArrayList<>();
            for (Path jar : jars(bundlesDir)) {
                if (pluginsDir == null && jar.getFileName().toString().contains(FILEINSTALL)) {
                    continue;
                }
                installed.add(context.installBundle(jar.toUri().toString()));
            }
            framework.start();
            for (Bundle b : installed) {
                if (b.getHeaders().get(Constants.FRAGMENT_HOST) == null) {
                    try {
                        b.start();
                    } catch (BundleException e) {
                        LOG.error("bundle {} did not start: {}", b.getSymbolicName(), e.getMessage());
                    }
                }
            }
        } catch (BundleException e) {
            close();
            throw new MoxieException("cannot start the OSGi framework: " + e.getMessage(), e);
        }
    }

    private void track(BundleContext context, ComponentKind kind) {
        ServiceTracker<Object, Provider> tracker = new ServiceTracker<>(context, kind.serviceType().getName(),
                new ServiceTrackerCustomizer<>() {
                    @Override
                    public Provider addingService(ServiceReference<Object> ref) {
                        Object factory = context.getService(ref);
                        if (factory == null) {
                            return null;
                        }
                        Provider p;
                        try {
                            p = new Provider(kind, kind.nameOf(factory), factory, origin(ref.getBundle()),
                                    (Long) ref.getProperty(Constants.SERVICE_ID), ranking(ref));
                        } catch (RuntimeException e) {
                            LOG.error("ignoring a {} factory of bundle {}: {}", kind.label(),
                                    ref.getBundle().getSymbolicName(), e.toString());
                            context.ungetService(ref);
                            return null;
                        }
                        registry.add(p);
                        return p;
                    }

                    @Override
                    public void modifiedService(ServiceReference<Object> ref, Provider p) {
                    }

                    @Override
                    public void removedService(ServiceReference<Object> ref, Provider p) {
                        registry.remove(p);
                        context.ungetService(ref);
                    }
                });
        tracker.open();
        trackers.add(tracker);
    }

    /** Returns the installed bundles with the components each provides. */
    public List<BundleInfo> bundles() {
        List<BundleInfo> out = new ArrayList<>();
        List<Provider> providers = registry.all();
        for (Bundle b : framework.getBundleContext().getBundles()) {
            if (b.getBundleId() == 0) {
                continue;
            }
            String origin = origin(b);
            List<String> components = providers.stream().filter(p -> p.origin().equals(origin))
                    .map(p -> p.kind().name().toLowerCase() + ":" + p.name()).toList();
            out.add(new BundleInfo(b.getBundleId(), b.getSymbolicName(), b.getVersion().toString(), state(b),
                    b.getLocation(), components));
        }
        return out;
    }

    /** Installs and starts a bundle jar. */
    public BundleInfo install(Path jar) {
        try {
            Bundle b = framework.getBundleContext().installBundle(jar.toUri().toString());
            b.start();
            return info(b);
        } catch (BundleException e) {
            throw new MoxieException("cannot install " + jar + ": " + e.getMessage(), e);
        }
    }

    /** Updates a bundle from a jar (or from its own location when {@code jar} is null) and refreshes wiring. */
    public BundleInfo update(long bundleId, Path jar) {
        Bundle b = bundle(bundleId);
        try {
            if (jar == null) {
                b.update();
            } else {
                try (InputStream in = Files.newInputStream(jar)) {
                    b.update(in);
                }
            }
            refresh(b);
            return info(b);
        } catch (BundleException | IOException e) {
            throw new MoxieException("cannot update bundle " + bundleId + ": " + e.getMessage(), e);
        }
    }

    /** Uninstalls a bundle and refreshes wiring. */
    public void uninstall(long bundleId) {
        Bundle b = bundle(bundleId);
        try {
            b.uninstall();
            refresh(b);
        } catch (BundleException e) {
            throw new MoxieException("cannot uninstall bundle " + bundleId + ": " + e.getMessage(), e);
        }
    }

    private void refresh(Bundle b) {
        CountDownLatch done = new CountDownLatch(1);
        framework.adapt(FrameworkWiring.class).refreshBundles(List.of(b), event -> {
            if (event.getType() == FrameworkEvent.PACKAGES_REFRESHED || event.getType() == FrameworkEvent.ERROR) {
                done.countDown();
            }
        });
        try {
            done.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private Bundle bundle(long id) {
        Bundle b = framework.getBundleContext().getBundle(id);
        if (b == null || id == 0) {
            throw new MoxieException("no bundle with id " + id);
        }
        return b;
    }

    private BundleInfo info(Bundle b) {
        return bundles().stream().filter(i -> i.id() == b.getBundleId()).findFirst()
                .orElse(new BundleInfo(b.getBundleId(), b.getSymbolicName(), b.getVersion().toString(), state(b),
                        b.getLocation(), List.of()));
    }

    private static String origin(Bundle b) {
        return b.getSymbolicName() + " " + b.getVersion() + " [" + b.getBundleId() + "]";
    }

    private static int ranking(ServiceReference<?> ref) {
        return ref.getProperty(Constants.SERVICE_RANKING) instanceof Integer i ? i : 0;
    }

    private static String state(Bundle b) {
        return switch (b.getState()) {
            case Bundle.INSTALLED -> "INSTALLED";
            case Bundle.RESOLVED -> "RESOLVED";
            case Bundle.STARTING -> "STARTING";
            case Bundle.STOPPING -> "STOPPING";
            case Bundle.ACTIVE -> "ACTIVE";
            default -> "UNINSTALLED";
        };
    }

    private static List<Path> jars(Path dir) {
        if (dir == null || !Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.toString().endsWith(".jar")).sorted(Comparator.comparing(Path::toString)).toList();
        } catch (IOException e) {
            throw new MoxieException("cannot list bundles in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static String apiVersion() {
        String v = Stage.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0" : v.replace("-SNAPSHOT", "");
    }

    /** Stops the framework (deactivating every component) and deletes its storage. */
    @Override
    public void close() {
        trackers.forEach(ServiceTracker::close);
        trackers.clear();
        if (framework != null) {
            try {
                framework.stop();
                framework.waitForStop(30_000);
            } catch (BundleException | InterruptedException e) {
                LOG.warn("OSGi framework did not stop cleanly: {}", e.toString());
            }
            framework = null;
        }
        deleteRecursively(storage);
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // best effort: a temp folder left behind is harmless
        }
    }
}
