package io.moxie.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.StreamObserver;
import io.moxie.gateway.proto.moxie.ApplyPipelineRequest;
import io.moxie.gateway.proto.moxie.DeletePipelineRequest;
import io.moxie.gateway.testing.GatewayFixture;
import io.moxie.gateway.testing.TestPipelines;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HealthAndReflectionTest {

    private static HealthCheckResponse.ServingStatus check(GatewayFixture fx, String service) {
        return HealthGrpc.newBlockingStub(fx.channel)
                .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    }

    @Test
    void healthAnswersForTheServerItsServicesAndEachPipeline(@TempDir Path home) throws Exception {
        try (GatewayFixture fx = GatewayFixture.start(home, GatewayFixture.options(),
                Map.of("moe", TestPipelines.moe("moe", "first")))) {
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, check(fx, ""));
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, check(fx, "inference.GRPCInferenceService"));
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, check(fx, "moxie.v1.Moxie"));
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, check(fx, "moe"));
            var unknown = org.junit.jupiter.api.Assertions.assertThrows(StatusRuntimeException.class,
                    () -> check(fx, "no-such-pipeline"));
            assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());

            fx.moxie(GatewayFixture.TOKEN).applyPipeline(ApplyPipelineRequest.newBuilder()
                    .setYaml(TestPipelines.identity("later", "float32", 1, false)).build());
            assertEquals(HealthCheckResponse.ServingStatus.SERVING, awaitRegistered(fx, "later"),
                    "a pipeline applied later gets a health entry");
            fx.moxie(GatewayFixture.TOKEN).deletePipeline(DeletePipelineRequest.newBuilder().setName("later").build());
        }
    }

    private static HealthCheckResponse.ServingStatus awaitRegistered(GatewayFixture fx, String name) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            try {
                return check(fx, name);
            } catch (StatusRuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    @Test
    void reflectionListsEveryService(@TempDir Path home) throws Exception {
        try (GatewayFixture fx = GatewayFixture.start(home, GatewayFixture.options(), Map.of())) {
            CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
            StreamObserver<ServerReflectionRequest> requests = ServerReflectionGrpc.newStub(fx.channel)
                    .serverReflectionInfo(new StreamObserver<>() {
                        @Override
                        public void onNext(ServerReflectionResponse r) {
                            answer.complete(r);
                        }

                        @Override
                        public void onError(Throwable t) {
                            answer.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                        }
                    });
            requests.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
            List<String> services = answer.get(10, TimeUnit.SECONDS).getListServicesResponse().getServiceList()
                    .stream().map(ServiceResponse::getName).toList();
            requests.onCompleted();
            for (String s : List.of("inference.GRPCInferenceService", "moxie.v1.Moxie", "grpc.health.v1.Health",
                    "grpc.reflection.v1.ServerReflection")) {
                assertTrue(services.contains(s), s + " in " + services);
            }
        }
    }
}
