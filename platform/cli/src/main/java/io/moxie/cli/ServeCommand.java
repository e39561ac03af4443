package io.moxie.cli;

import io.moxie.gateway.Gateway;
import io.moxie.gateway.GatewayOptions;
import io.moxie.kernel.Kernel;
import io.moxie.kernel.KernelOptions;
import io.moxie.kernel.schedule.SchedulerOptions;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code moxie serve}: starts the kernel (bundles, plugins folder, pipelines, models) and the gateway, prints
 * where it listens, and serves until SIGTERM or Ctrl-C, which drain the requests in flight before the process exits.
 */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve the pipelines over gRPC (KServe v2 + moxie.v1) with Prometheus metrics.")
final class ServeCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "" + GatewayOptions.DEFAULT_PORT,
            description = "gRPC port, 0 for any free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--metrics-port", defaultValue = "" + GatewayOptions.DEFAULT_METRICS_PORT,
            description = "Prometheus metrics port, 0 for any free one, -1 for none (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(names = "--model-repo", paramLabel = "DIR", description = "Model repository (default: the distribution's models/).")
    Path modelRepo;

    @Option(names = "--plugins", paramLabel = "DIR", description = "Hot-deploy plugins folder (default: the distribution's plugins/).")
    Path plugins;

    @Option(names = "--allow-plugins-from", paramLabel = "DIR",
            description = "Further directory admin calls may install plugin jars from (repeatable).")
    List<Path> allowedPluginDirs = new ArrayList<>();

    @Option(names = "--token-file", paramLabel = "FILE", description = "File holding the bearer token admin calls need.")
    Path tokenFile;

    @Option(names = "--insecure-admin", description = "Allow admin calls without a token (trusted machines only).")
    boolean insecureAdmin;

    @Option(names = "--require-token-for-inference", description = "Require the token for every call except health checks.")
    boolean tokenForInference;

    @Option(names = "--max-message-size", paramLabel = "BYTES", defaultValue = "" + GatewayOptions.DEFAULT_MAX_MESSAGE_BYTES,
            description = "Largest gRPC message accepted (default: 64 MiB).")
    int maxMessageBytes;

    @Option(names = "--inference-threads", paramLabel = "N", description = "Worker threads for forward passes (default: one per core).")
    Integer inferenceThreads;

    @Option(names = "--queue-capacity", paramLabel = "N",
            description = "Requests that may wait per pipeline; one more gets RESOURCE_EXHAUSTED (default: 256).")
    Integer queueCapacity;

    private final CountDownLatch stop = new CountDownLatch(1);

    /** Asks a running serve to drain and return (what SIGTERM does); for tests and embedders. */
    void requestStop() {
        stop.countDown();
    }

    @Override
    public Integer call() throws Exception {
        if (tokenForInference && tokenFile == null) {
            throw new ExitCodes.UsageException("--require-token-for-inference needs --token-file");
        }
        if (tokenFile != null && insecureAdmin) {
            throw new ExitCodes.UsageException("give either --token-file or --insecure-admin, not both");
        }
        GatewayOptions options = gatewayOptions();
        KernelOptions kernelOptions = KernelOptions.ofHome(MoxieHome.find());
        if (inferenceThreads != null || queueCapacity != null) {
            try {
                kernelOptions = kernelOptions.withScheduler(new SchedulerOptions(
                        inferenceThreads == null ? SchedulerOptions.DEFAULTS.workers() : inferenceThreads,
                        queueCapacity == null ? SchedulerOptions.DEFAULTS.queueCapacity() : queueCapacity));
            } catch (IllegalArgumentException e) {
                throw new ExitCodes.UsageException(e.getMessage());
            }
        }
        if (modelRepo != null) {
            requireDirectory("--model-repo", modelRepo);
            kernelOptions = kernelOptions.withModelRepository(modelRepo.toAbsolutePath());
        }
        if (plugins != null) {
            requireDirectory("--plugins", plugins);
            kernelOptions = kernelOptions.withPluginsDir(plugins.toAbsolutePath());
        }
        PrintWriter out = spec.commandLine().getOut();
        CountDownLatch drained = new CountDownLatch(1);
        // SIGTERM / Ctrl-C: wake the main thread and hold the JVM until the gateway drained and the kernel closed
        Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                drained.await(options.drainTimeout().toSeconds() + 60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "moxie-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try (Kernel kernel = Kernel.start(kernelOptions);
             Gateway gateway = Gateway.start(kernel, options).get()) {
            out.println("moxie: serving " + kernel.engine().list().size() + " pipelines on grpc://" + gateway.address()
                    + (gateway.metricsPort() < 0 ? "" : ", metrics on http://" + options.host() + ":"
                    + gateway.metricsPort() + "/metrics"));
            out.flush();
            stop.await();
            out.println("moxie: draining and stopping");
            out.flush();
        } finally {
            drained.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it waits for 'drained', counted down above
            }
        }
        return ExitCodes.OK;
    }

    private GatewayOptions gatewayOptions() {
        try {
            GatewayOptions o = GatewayOptions.defaults().withHost(host).withPort(port).withMetricsPort(metricsPort)
                    .withMaxMessageBytes(maxMessageBytes).withInsecureAdmin(insecureAdmin)
                    .withRequireTokenForInference(tokenForInference)
                    .withPluginDirs(allowedPluginDirs.stream().map(p -> p.toAbsolutePath().normalize()).toList());
            if (tokenFile != null) {
                o = o.withAdminToken(GatewayOptions.readToken(tokenFile));
            }
            return o;
        } catch (IllegalArgumentException e) {
            throw new ExitCodes.UsageException(e.getMessage());
        }
    }

    private static void requireDirectory(String option, Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new ExitCodes.UsageException(option + " " + dir + ": not a directory");
        }
    }
}
