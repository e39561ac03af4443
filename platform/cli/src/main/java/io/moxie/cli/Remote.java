package io.moxie.cli;

import io.grpc.CallOptions;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.moxie.gateway.GatewayOptions;
import io.moxie.gateway.proto.inference.GRPCInferenceServiceGrpc;
import io.moxie.gateway.proto.moxie.MoxieGrpc;
import io.vertx.grpc.health.v1.HealthCheckRequest;
import io.vertx.grpc.health.v1.HealthCheckResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A connection to a Moxie server: grpc-java over its shaded Netty, with the bearer token on every call when one
 * is given. Owns the channel; {@link #close()} shuts it down.
 */
final class Remote implements AutoCloseable {
    // grpc.health.v1.Health/Check, built on the message classes that ship with the server side
    private static final MethodDescriptor<HealthCheckRequest, HealthCheckResponse> HEALTH_CHECK =
            MethodDescriptor.<HealthCheckRequest, HealthCheckResponse>newBuilder()
                    .setType(MethodDescriptor.MethodType.UNARY)
                    .setFullMethodName("grpc.health.v1.Health/Check")
                    .setRequestMarshaller(ProtoUtils.marshaller(HealthCheckRequest.getDefaultInstance()))
                    .setResponseMarshaller(ProtoUtils.marshaller(HealthCheckResponse.getDefaultInstance()))
                    .build();

    private final String target;
    private final ManagedChannel channel;
    private final ClientInterceptor[] interceptors;
    private final Duration timeout;

    private Remote(String target, ManagedChannel channel, ClientInterceptor[] interceptors, Duration timeout) {
        this.target = target;
        this.channel = channel;
        this.interceptors = interceptors;
        this.timeout = timeout;
    }

    static Remote connect(String target, String token, Duration timeout) {
        int colon = target.lastIndexOf(':');
        if (colon <= 0 || colon == target.length() - 1) {
            throw new ExitCodes.UsageException("--target " + target + ": expected HOST:PORT");
        }
        int port;
        try {
            port = Integer.parseInt(target.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ExitCodes.UsageException("--target " + target + ": the port is not a number");
        }
        String host = target.substring(0, colon).replace("[", "").replace("]", "");
        ManagedChannel channel = NettyChannelBuilder.forAddress(host, port).usePlaintext()
                .maxInboundMessageSize(GatewayOptions.DEFAULT_MAX_MESSAGE_BYTES).flowControlWindow(16 << 20).build();
        ClientInterceptor[] interceptors = new ClientInterceptor[0];
        if (token != null) {
            Metadata headers = new Metadata();
            headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
            interceptors = new ClientInterceptor[] {MetadataUtils.newAttachHeadersInterceptor(headers)};
        }
        return new Remote(target, channel, interceptors, timeout);
    }

    /** The channel, for load generators that need async stubs. */
    ManagedChannel channel() {
        return channel;
    }

    ClientInterceptor[] interceptors() {
        return interceptors.clone();
    }

    GRPCInferenceServiceGrpc.GRPCInferenceServiceBlockingStub kserve() {
        return GRPCInferenceServiceGrpc.newBlockingStub(channel).withInterceptors(interceptors)
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    MoxieGrpc.MoxieBlockingStub moxie() {
        return MoxieGrpc.newBlockingStub(channel).withInterceptors(interceptors)
                .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Checks {@code grpc.health.v1.Health}; an empty service means the server as a whole. */
    HealthCheckResponse.ServingStatus health(String service) {
        return call(() -> ClientCalls.blockingUnaryCall(channel, HEALTH_CHECK,
                CallOptions.DEFAULT.withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS),
                HealthCheckRequest.newBuilder().setService(service).build()).getStatus());
    }

    /** Runs a call, turning a gRPC failure into one line naming the status. */
    <T> T call(Supplier<T> call) {
        try {
            return call.get();
        } catch (StatusRuntimeException e) {
            throw new RemoteException(target, e);
        }
    }

    @Override
    public void close() {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A call the server refused or could not complete; exit code 1, one line with the gRPC status. */
    static final class RemoteException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        RemoteException(String target, StatusRuntimeException e) {
            super(message(target, e), e);
        }

        private static String message(String target, StatusRuntimeException e) {
            String d = e.getStatus().getDescription();
            String text = e.getStatus().getCode() + (d == null || d.isBlank() ? "" : ": " + d);
            if (e.getStatus().getCode() == io.grpc.Status.Code.UNAVAILABLE) {
                text += " (is a server listening on " + target + "?)";
            }
            return text;
        }
    }
}
