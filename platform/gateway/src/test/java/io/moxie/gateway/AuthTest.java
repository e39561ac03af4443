package io.moxie.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ClientInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthGrpc;
import io.moxie.gateway.proto.inference.GRPCInferenceServiceGrpc;
import io.moxie.gateway.proto.inference.RepositoryModelLoadRequest;
import io.moxie.gateway.proto.inference.RepositoryModelUnloadRequest;
import io.moxie.gateway.proto.inference.ServerLiveRequest;
import io.moxie.gateway.proto.moxie.ApplyPipelineRequest;
import io.moxie.gateway.proto.moxie.DeletePipelineRequest;
import io.moxie.gateway.proto.moxie.InstallPluginRequest;
import io.moxie.gateway.proto.moxie.ListPipelinesRequest;
import io.moxie.gateway.proto.moxie.MoxieGrpc;
import io.moxie.gateway.proto.moxie.SwapStageRequest;
import io.moxie.gateway.proto.moxie.UninstallPluginRequest;
import io.moxie.gateway.proto.moxie.UpdatePluginRequest;
import io.moxie.gateway.testing.GatewayFixture;
import io.moxie.gateway.testing.TestPipelines;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The auth matrix: no token, wrong token, right token, for each admin call; and the server-wide switches. */
class AuthTest {

    /** Every admin call, with arguments that fail harmlessly once authorised. */
    private static Map<String, Consumer<GatewayFixture.Stubs>> adminCalls() {
        Map<String, Consumer<GatewayFixture.Stubs>> calls = new LinkedHashMap<>();
        calls.put("RepositoryModelLoad", s -> s.kserve().repositoryModelLoad(
                RepositoryModelLoadRequest.newBuilder().setModelName("no-such").build()));
        calls.put("RepositoryModelUnload", s -> s.kserve().repositoryModelUnload(
                RepositoryModelUnloadRequest.newBuilder().setModelName("no-such").build()));
        calls.put("ApplyPipeline", s -> s.moxie().applyPipeline(ApplyPipelineRequest.getDefaultInstance()));
        calls.put("DeletePipeline", s -> s.moxie().deletePipeline(DeletePipelineRequest.newBuilder().setName("no-such").build()));
        calls.put("SwapStage", s -> s.moxie().swapStage(SwapStageRequest.newBuilder().setPipeline("no-such").build()));
        calls.put("InstallPlugin", s -> s.moxie().installPlugin(InstallPluginRequest.newBuilder().setPath("nope.jar").build()));
        calls.put("UpdatePlugin", s -> s.moxie().updatePlugin(UpdatePluginRequest.newBuilder().setBundle("no-such").build()));
        calls.put("UninstallPlugin", s -> s.moxie().uninstallPlugin(UninstallPluginRequest.newBuilder().setBundle("no-such").build()));
        return calls;
    }

    private static Status.Code status(Runnable call) {
        try {
            call.run();
            return Status.Code.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
    }

    @Test
    void adminCallsNeedTheRightToken(@TempDir Path home) throws Exception {
        try (GatewayFixture fx = GatewayFixture.start(home, GatewayFixture.options(), Map.of())) {
            for (Map.Entry<String, Consumer<GatewayFixture.Stubs>> call : adminCalls().entrySet()) {
                String name = call.getKey();
                assertEquals(Status.Code.UNAUTHENTICATED, status(() -> call.getValue().accept(fx.stubs(null))), name + " without a token");
                assertEquals(Status.Code.PERMISSION_DENIED, status(() -> call.getValue().accept(fx.stubs("wrong"))), name + " with a wrong token");
                Status.Code right = status(() -> call.getValue().accept(fx.stubs(GatewayFixture.TOKEN)));
                assertNotEquals(Status.Code.UNAUTHENTICATED, right, name + " with the token");
                assertNotEquals(Status.Code.PERMISSION_DENIED, right, name + " with the token");
            }
            // read-only and inference calls stay open
            assertTrue(fx.kserve().serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
            fx.moxie().listPipelines(ListPipelinesRequest.getDefaultInstance());
        }
    }

    @Test
    void withoutAConfiguredTokenAdminIsRefusedUnlessInsecureAdmin(@TempDir Path home) throws Exception {
        try (GatewayFixture fx = GatewayFixture.start(home.resolve("a"), GatewayFixture.options().withAdminToken(null), Map.of())) {
            for (Map.Entry<String, Consumer<GatewayFixture.Stubs>> call : adminCalls().entrySet()) {
                assertEquals(Status.Code.PERMISSION_DENIED, status(() -> call.getValue().accept(fx.stubs(null))), call.getKey());
                assertEquals(Status.Code.PERMISSION_DENIED, status(() -> call.getValue().accept(fx.stubs("any"))), call.getKey());
            }
        }
        try (GatewayFixture fx = GatewayFixture.start(home.resolve("b"),
                GatewayFixture.options().withAdminToken(null).withInsecureAdmin(true), Map.of())) {
            fx.stubs(null).moxie().applyPipeline(ApplyPipelineRequest.newBuilder()
                    .setYaml(TestPipelines.identity("open", "float32", 1, false)).build());
        }
    }

    @Test
    void inferenceCanRequireTheTokenWhileHealthStaysOpen(@TempDir Path home) throws Exception {
        try (GatewayFixture fx = GatewayFixture.start(home, GatewayFixture.options().withRequireTokenForInference(true), Map.of())) {
            assertEquals(Status.Code.UNAUTHENTICATED, status(() -> fx.stubs(null).kserve().serverLive(ServerLiveRequest.getDefaultInstance())));
            assertEquals(Status.Code.PERMISSION_DENIED, status(() -> fx.stubs("wrong").moxie().listPipelines(ListPipelinesRequest.getDefaultInstance())));
            assertTrue(fx.stubs(GatewayFixture.TOKEN).kserve().serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
            HealthGrpc.newBlockingStub(fx.channel).check(HealthCheckRequest.getDefaultInstance());
        }
    }
}
