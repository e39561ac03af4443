package io.moxie.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moxie.gateway.proto.moxie.ApplyPipelineRequest;
import io.moxie.gateway.proto.moxie.DeletePipelineRequest;
import io.moxie.gateway.proto.moxie.DescribePipelineRequest;
import io.moxie.gateway.proto.moxie.GenerateRequest;
import io.moxie.gateway.proto.moxie.GenerateResponse;
import io.moxie.gateway.proto.moxie.InferRequest;
import io.moxie.gateway.proto.moxie.InferResponse;
import io.moxie.gateway.proto.moxie.InstallPluginRequest;
import io.moxie.gateway.proto.moxie.ListComponentsRequest;
import io.moxie.gateway.proto.moxie.ListPipelinesRequest;
import io.moxie.gateway.proto.moxie.ListPluginsRequest;
import io.moxie.gateway.proto.moxie.PipelineInfo;
import io.moxie.gateway.proto.moxie.PluginInfo;
import io.moxie.gateway.proto.moxie.SwapStageRequest;
import io.moxie.gateway.proto.moxie.Tensor;
import io.moxie.gateway.proto.moxie.UninstallPluginRequest;
import io.moxie.gateway.proto.moxie.UpdatePluginRequest;
import io.moxie.gateway.testing.GatewayFixture;
import io.moxie.gateway.testing.TestBundles;
import io.moxie.gateway.testing.TestPipelines;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Every {@code moxie.v1.Moxie} call over real loopback gRPC. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NativeApiTest {
    private Path home;
    private GatewayFixture fx;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        home = dir;
        fx = GatewayFixture.start(home, GatewayFixture.options(),
                Map.of("moe", TestPipelines.moe("moe", "first"), "identity-fp32",
                        TestPipelines.identity("identity-fp32", "float32", 2, false)));
    }

    @AfterAll
    void stop() throws Exception {
        fx.close();
    }

    private static Tensor floats(String name, long[] shape, float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        Tensor.Builder t = Tensor.newBuilder().setName(name).setDatatype("FP32").setData(ByteString.copyFrom(b.array()));
        for (long d : shape) {
            t.addShape(d);
        }
        return t.build();
    }

    @Test
    void listAndDescribeShowStagesImplementationsAndProviders() {
        List<PipelineInfo> all = fx.moxie().listPipelines(ListPipelinesRequest.getDefaultInstance()).getPipelinesList();
        assertTrue(all.stream().anyMatch(p -> p.getName().equals("moe") && p.getState().equals("READY")));
        PipelineInfo moe = fx.moxie().describePipeline(DescribePipelineRequest.newBuilder().setName("moe").build());
        assertEquals(1, moe.getVersion());
        assertEquals("mix", moe.getStages(0).getName());
        assertEquals("moe-scale", moe.getStages(0).getKind());
        assertEquals("first", moe.getStages(0).getRouter());
        assertEquals(List.of("first"), moe.getStages(0).getRouterPreferenceList());
        assertTrue(moe.getStages(0).getRouterProvider().startsWith("first (gateway tests"), moe.getStages(0).getRouterProvider());
        assertEquals("scaled", moe.getStages(0).getExperts());
        assertEquals("x", moe.getInputs(0).getName());
        assertEquals(List.of("y"), moe.getOutputsList());
        assertTrue(moe.getDefinition().contains("kind: moe-scale"));
        var e = assertThrows(StatusRuntimeException.class,
                () -> fx.moxie().describePipeline(DescribePipelineRequest.newBuilder().setName("nope").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }

    @Test
    void describeShowsThePreferenceListAndTheImplementationChosenFromIt() {
        PipelineInfo info = fx.moxie(GatewayFixture.TOKEN).applyPipeline(ApplyPipelineRequest.newBuilder()
                .setYaml(TestPipelines.moe("preferring", "[not-installed, last]")).build());
        assertEquals("READY", info.getState(), info.getLastError());
        PipelineInfo shown = fx.moxie().describePipeline(DescribePipelineRequest.newBuilder().setName("preferring").build());
        assertEquals("last", shown.getStages(0).getRouter(), "the implementation that runs");
        assertEquals(List.of("not-installed", "last"), shown.getStages(0).getRouterPreferenceList());
        assertTrue(shown.getStages(0).getRouterProvider().startsWith("last (gateway tests"),
                shown.getStages(0).getRouterProvider());
        assertTrue(shown.getDefinition().contains("router: [not-installed, last]"), shown.getDefinition());
    }

    @Test
    void listDevicesShowsTheLeasesOfLoadedWeights() {
        var devices = fx.moxie().listDevices(io.moxie.gateway.proto.moxie.ListDevicesRequest.getDefaultInstance());
        assertTrue(devices.getDevicesCount() >= 1);
        var cpu = devices.getDevicesList().stream().filter(d -> d.getName().equals("cpu()")).findFirst().orElseThrow();
        assertTrue(cpu.getCapacityBytes() > 0);
        assertEquals(cpu.getLeasedBytes(), cpu.getLeasesMap().values().stream().mapToLong(Long::longValue).sum());
    }

    @Test
    void applyPersistsAtomicallyAndDeleteRemoves() throws Exception {
        String yaml = TestPipelines.identity("applied", "float32", 1, false);
        PipelineInfo info = fx.moxie(GatewayFixture.TOKEN).applyPipeline(ApplyPipelineRequest.newBuilder().setYaml(yaml).build());
        assertEquals("READY", info.getState());
        assertTrue(info.getPersisted());
        Path file = home.resolve("conf/pipelines/applied.yaml");
        assertEquals(yaml, Files.readString(file));

        var bad = assertThrows(StatusRuntimeException.class, () -> fx.moxie(GatewayFixture.TOKEN)
                .applyPipeline(ApplyPipelineRequest.newBuilder().setYaml(yaml.replace("kind: identity", "kind: nope")).build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, bad.getStatus().getCode());
        assertTrue(bad.getStatus().getDescription().contains("nope"), bad.getStatus().getDescription());
        assertEquals(yaml, Files.readString(file), "a failed apply keeps the old definition");
        var invalid = assertThrows(StatusRuntimeException.class, () -> fx.moxie(GatewayFixture.TOKEN)
                .applyPipeline(ApplyPipelineRequest.newBuilder().setYaml("name: [oops").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, invalid.getStatus().getCode());

        fx.moxie(GatewayFixture.TOKEN).deletePipeline(DeletePipelineRequest.newBuilder().setName("applied").build());
        assertFalse(Files.exists(file));
        assertFalse(fx.kernel.engine().contains("applied"));
        var gone = assertThrows(StatusRuntimeException.class, () -> fx.moxie(GatewayFixture.TOKEN)
                .deletePipeline(DeletePipelineRequest.newBuilder().setName("applied").build()));
        assertEquals(Status.Code.NOT_FOUND, gone.getStatus().getCode());
    }

    @Test
    void swapChangesTheRouterAndTheOutputs() {
        fx.moxie(GatewayFixture.TOKEN).applyPipeline(ApplyPipelineRequest.newBuilder()
                .setYaml(TestPipelines.moe("swappable", "first")).build());
        InferRequest req = InferRequest.newBuilder().setPipeline("swappable")
                .addInputs(floats("x", new long[] {1, 2}, 2, 4)).build();
        assertEquals(3f, value(fx.moxie().infer(req), 0));
        PipelineInfo after = fx.moxie(GatewayFixture.TOKEN).swapStage(SwapStageRequest.newBuilder()
                .setPipeline("swappable").setStage("mix").setRouter("last").build());
        assertEquals(2, after.getVersion());
        assertEquals("last", after.getStages(0).getRouter());
        InferResponse swapped = fx.moxie().infer(req);
        assertEquals(2, swapped.getVersion());
        assertEquals(7f, value(swapped, 0));
        var unknown = assertThrows(StatusRuntimeException.class, () -> fx.moxie(GatewayFixture.TOKEN).swapStage(
                SwapStageRequest.newBuilder().setPipeline("swappable").setStage("mix").setRouter("no-such").build()));
        assertEquals(Status.Code.FAILED_PRECONDITION, unknown.getStatus().getCode());
        var noStage = assertThrows(StatusRuntimeException.class, () -> fx.moxie(GatewayFixture.TOKEN).swapStage(
                SwapStageRequest.newBuilder().setPipeline("swappable").setStage("zzz").setRouter("first").build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, noStage.getStatus().getCode());
        assertEquals(7f, value(fx.moxie().infer(req), 0), "a failed swap keeps the version serving");
    }

    private static float value(InferResponse r, int i) {
        return r.getOutputs(0).getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN).getFloat(i * 4);
    }

    @Test
    void inferReturnsRoutingTracesOnRequest() {
        InferRequest req = InferRequest.newBuilder().setPipeline("moe").setTraceRouting(true)
                .addInputs(floats("x", new long[] {2, 1}, 1, 2)).build();
        InferResponse r = fx.moxie().infer(req);
        assertEquals("y", r.getOutputs(0).getName());
        assertEquals(1, r.getRoutingCount());
        assertEquals("layer0", r.getRouting(0).getLayer());
        assertEquals(List.of(2L, 2L), r.getRouting(0).getIndices().getShapeList());
        assertEquals("FP32", r.getRouting(0).getWeights().getDatatype());
        assertEquals(0, fx.moxie().infer(req.toBuilder().setTraceRouting(false).build()).getRoutingCount());
    }

    @Test
    void generateStreamsEventsEndingWithDone() {
        List<GenerateResponse> events = new ArrayList<>();
        fx.moxie().generate(GenerateRequest.newBuilder().setPipeline("moe").setTraceRouting(true)
                .addInputs(floats("x", new long[] {1, 1}, 2)).build()).forEachRemaining(events::add);
        assertEquals("y", events.get(0).getOutput().getName());
        assertEquals("layer0", events.get(1).getRouting().getLayer());
        assertTrue(events.get(events.size() - 1).getDone());
        for (int i = 0; i < events.size(); i++) {
            assertEquals(i, events.get(i).getIndex());
        }
        var e = assertThrows(StatusRuntimeException.class, () -> fx.moxie().generate(GenerateRequest.newBuilder()
                .setPipeline("nope").build()).forEachRemaining(x -> { }));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }

    @Test
    void pluginsInstallUpdateAndUninstallFromThePluginsFolderOnly() throws Exception {
        Path jar = TestBundles.write(home.resolve("plugins/demo-plugin.jar"), "io.moxie.test.demo", "1.0.0");
        PluginInfo installed = fx.moxie(GatewayFixture.TOKEN).installPlugin(InstallPluginRequest.newBuilder()
                .setPath("demo-plugin.jar").build());
        assertEquals("io.moxie.test.demo", installed.getSymbolicName());
        assertEquals("1.0.0", installed.getVersion());
        assertEquals("ACTIVE", installed.getState());
        assertTrue(fx.moxie().listPlugins(ListPluginsRequest.getDefaultInstance()).getPluginsList().stream()
                .anyMatch(p -> p.getId() == installed.getId()));

        TestBundles.write(home.resolve("plugins/demo-plugin-2.jar"), "io.moxie.test.demo", "2.0.0");
        PluginInfo updated = fx.moxie(GatewayFixture.TOKEN).updatePlugin(UpdatePluginRequest.newBuilder()
                .setBundle("io.moxie.test.demo").setPath(home.resolve("plugins/demo-plugin-2.jar").toString()).build());
        assertEquals("2.0.0", updated.getVersion());
        assertEquals(installed.getId(), updated.getId());

        Path outside = TestBundles.write(home.resolve("elsewhere/evil.jar"), "io.moxie.test.evil", "1.0.0");
        var denied = assertThrows(StatusRuntimeException.class, () -> fx.moxie(GatewayFixture.TOKEN)
                .installPlugin(InstallPluginRequest.newBuilder().setPath(outside.toString()).build()));
        assertEquals(Status.Code.PERMISSION_DENIED, denied.getStatus().getCode());
        var sneaky = assertThrows(StatusRuntimeException.class, () -> fx.moxie(GatewayFixture.TOKEN)
                .installPlugin(InstallPluginRequest.newBuilder().setPath("../elsewhere/evil.jar").build()));
        assertEquals(Status.Code.PERMISSION_DENIED, sneaky.getStatus().getCode());

        fx.moxie(GatewayFixture.TOKEN).uninstallPlugin(UninstallPluginRequest.newBuilder()
                .setBundle(Long.toString(installed.getId())).build());
        assertTrue(fx.moxie().listPlugins(ListPluginsRequest.getDefaultInstance()).getPluginsList().stream()
                .noneMatch(p -> p.getId() == installed.getId()));
        var gone = assertThrows(StatusRuntimeException.class, () -> fx.moxie(GatewayFixture.TOKEN)
                .uninstallPlugin(UninstallPluginRequest.newBuilder().setBundle("io.moxie.test.demo").build()));
        assertEquals(Status.Code.NOT_FOUND, gone.getStatus().getCode());
        assertTrue(Files.exists(jar));
    }

    @Test
    void listComponentsNamesEveryInstalledImplementation() {
        var components = fx.moxie().listComponents(ListComponentsRequest.getDefaultInstance()).getComponentsList();
        assertTrue(components.stream().anyMatch(c -> c.getKind().equals("router") && c.getName().equals("last")));
        assertTrue(components.stream().anyMatch(c -> c.getKind().equals("experts") && c.getName().equals("scaled")));
        assertTrue(components.stream().anyMatch(c -> c.getKind().equals("stage") && c.getName().equals("identity")));
    }

    @Test
    void outputsAreBitIdenticalToTheV2Api() {
        InferResponse r = fx.moxie().infer(InferRequest.newBuilder().setPipeline("identity-fp32")
                .addInputs(floats("x", new long[] {1, 3}, 0.1f, Float.MIN_VALUE, -0f)).build());
        assertArrayEquals(floats("x", new long[] {1, 3}, 0.1f, Float.MIN_VALUE, -0f).getData().toByteArray(),
                r.getOutputs(0).getData().toByteArray());
    }
}
