package io.moxie.gateway.testing;

import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.moxie.gateway.Gateway;
import io.moxie.gateway.GatewayOptions;
import io.moxie.gateway.proto.inference.GRPCInferenceServiceGrpc;
import io.moxie.gateway.proto.moxie.MoxieGrpc;
import io.moxie.kernel.Kernel;
import io.moxie.kernel.KernelOptions;
import io.moxie.kernel.pipeline.EngineOptions;
import io.moxie.kernel.pipeline.PipelineStatus;
import io.moxie.kernel.pipeline.PipelineYaml;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A kernel with the {@link TestComponents} registered in process, a gateway on ephemeral loopback ports, and a
 * grpc-java channel to it. The kernel's home (bundles, plugins, models, conf/pipelines) is a folder the test owns,
 * so a second fixture on the same folder is a restart.
 */
public final class GatewayFixture implements AutoCloseable {
    public static final String TOKEN = "s3cret-token";

    public final Path home;
    public final Kernel kernel;
    public final Gateway gateway;
    public final ManagedChannel channel;

    private GatewayFixture(Path home, Kernel kernel, Gateway gateway, ManagedChannel channel) {
        this.home = home;
        this.kernel = kernel;
        this.gateway = gateway;
        this.channel = channel;
    }

    /** Options for tests: ephemeral ports, the test token, the home's plugins folder allowed. */
    public static GatewayOptions options() {
        return GatewayOptions.defaults().withPort(0).withMetricsPort(0).withAdminToken(TOKEN)
                .withDrainTimeout(Duration.ofSeconds(10));
    }

    /** The kernel layout under {@code home}, with no bundles and short engine timings. */
    public static KernelOptions kernelOptions(Path home) throws Exception {
        for (String dir : new String[] {"bundles", "plugins", "models", "conf/pipelines"}) {
            Files.createDirectories(home.resolve(dir));
        }
        return new KernelOptions(home.resolve("bundles"), home.resolve("plugins"), home.resolve("models"),
                home.resolve("conf/pipelines"), null, true,
                new EngineOptions(Duration.ofSeconds(10), Duration.ofMillis(20), Duration.ofMillis(500)));
    }

    /** Starts a kernel and gateway on {@code home}, deploying {@code pipelines} (name to YAML) in process. */
    public static GatewayFixture start(Path home, GatewayOptions options, Map<String, String> pipelines) throws Exception {
        Kernel kernel = Kernel.start(kernelOptions(home));
        try {
            TestComponents.registerAll(kernel.registry());
            PipelineYaml yaml = new PipelineYaml();
            for (Map.Entry<String, String> p : pipelines.entrySet()) {
                kernel.engine().deploy(yaml.parse(p.getValue(), p.getKey(), Map.of())).get(60, TimeUnit.SECONDS);
            }
            Gateway gateway = Gateway.start(kernel, options).get(60, TimeUnit.SECONDS);
            // a 16 MiB flow-control window: multi-megabyte tensors need no window round trips
            ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", gateway.port()).usePlaintext()
                    .maxInboundMessageSize(64 << 20).flowControlWindow(16 << 20).build();
            return new GatewayFixture(home, kernel, gateway, channel);
        } catch (Exception | Error e) {
            kernel.close();
            throw e;
        }
    }

    /** Waits until every deployed pipeline serves (after a restart, pipelines wait for their components). */
    public void awaitReady(String pipeline) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (kernel.engine().contains(pipeline)
                    && kernel.engine().status(pipeline).state() == PipelineStatus.State.READY) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("pipeline " + pipeline + " not ready: "
                + (kernel.engine().contains(pipeline) ? kernel.engine().status(pipeline) : "absent"));
    }

    public GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub kserve() {
        return GRPCInferenceServiceGrpc.newBlockingStub(channel);
    }

    public MoxieGrpc.MoxieBlockingStub moxie() {
        return MoxieGrpc.newBlockingStub(channel);
    }

    /** A native stub that sends {@code authorization: Bearer <token>}. */
    public MoxieGrpc.MoxieBlockingStub moxie(String token) {
        return MoxieGrpc.newBlockingStub(channel).withInterceptors(bearer(token));
    }

    /** A v2 stub that sends {@code authorization: Bearer <token>}. */
    public GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub kserve(String token) {
        return GRPCInferenceServiceGrpc.newBlockingStub(channel).withInterceptors(bearer(token));
    }

    /** Stubs of both APIs sending a token (none when null). */
    public record Stubs(GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub kserve, MoxieGrpc.MoxieBlockingStub moxie) {
    }

    /** Returns stubs sending {@code token}, or no authorization header when it is null. */
    public Stubs stubs(String token) {
        return token == null ? new Stubs(kserve(), moxie()) : new Stubs(kserve(token), moxie(token));
    }

    public static ClientInterceptor bearer(String token) {
        Metadata headers = new Metadata();
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        return MetadataUtils.newAttachHeadersInterceptor(headers);
    }

    @Override
    public void close() throws Exception {
        try {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        } finally {
            try {
                gateway.close();
            } finally {
                kernel.close();
            }
        }
    }
}
