package io.moxie.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moxie.gateway.proto.inference.InferParameter;
import io.moxie.gateway.proto.inference.InferTensorContents;
import io.moxie.gateway.proto.inference.ModelInferRequest;
import io.moxie.gateway.proto.inference.ModelInferResponse;
import io.moxie.gateway.proto.inference.ModelMetadataRequest;
import io.moxie.gateway.proto.inference.ModelMetadataResponse;
import io.moxie.gateway.proto.inference.ModelReadyRequest;
import io.moxie.gateway.proto.inference.RepositoryIndexRequest;
import io.moxie.gateway.proto.inference.RepositoryIndexResponse;
import io.moxie.gateway.proto.inference.RepositoryModelLoadRequest;
import io.moxie.gateway.proto.inference.RepositoryModelUnloadRequest;
import io.moxie.gateway.proto.inference.ServerLiveRequest;
import io.moxie.gateway.proto.inference.ServerMetadataRequest;
import io.moxie.gateway.proto.inference.ServerReadyRequest;
import io.moxie.gateway.testing.GatewayFixture;
import io.moxie.gateway.testing.TestPipelines;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.pipeline.InferenceResult;
import io.moxie.kernel.tensor.HostTensor;
import io.moxie.kernel.store.PipelineStore;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Every {@code inference.GRPCInferenceService} call over real loopback gRPC, with a grpc-java client. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KServeApiTest {
    private Path home;
    private GatewayFixture fx;

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        home = dir;
        fx = GatewayFixture.start(home, GatewayFixture.options(), TestPipelines.standard());
    }

    @AfterAll
    void stop() throws Exception {
        fx.close();
    }

    static ModelInferRequest.Builder raw(String model, String input, String datatype, long[] shape, byte[] data) {
        ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName(model);
        ModelInferRequest.InferInputTensor.Builder in = b.addInputsBuilder().setName(input).setDatatype(datatype);
        for (long d : shape) {
            in.addShape(d);
        }
        b.addRawInputContents(ByteString.copyFrom(data));
        return b;
    }

    static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        return b.array();
    }

    @Test
    void serverLiveReadyAndMetadata() {
        assertTrue(fx.kserve().serverLive(ServerLiveRequest.getDefaultInstance()).getLive());
        assertTrue(fx.kserve().serverReady(ServerReadyRequest.getDefaultInstance()).getReady());
        var meta = fx.kserve().serverMetadata(ServerMetadataRequest.getDefaultInstance());
        assertEquals("moxie", meta.getName());
        assertTrue(meta.getExtensionsList().contains("model_repository"));
    }

    @Test
    void modelReadyByNameAndVersion() {
        assertTrue(fx.kserve().modelReady(ModelReadyRequest.newBuilder().setName("moe").build()).getReady());
        assertTrue(fx.kserve().modelReady(ModelReadyRequest.newBuilder().setName("moe").setVersion("1").build()).getReady());
        assertFalse(fx.kserve().modelReady(ModelReadyRequest.newBuilder().setName("moe").setVersion("7").build()).getReady());
        var e = assertThrows(StatusRuntimeException.class,
                () -> fx.kserve().modelReady(ModelReadyRequest.newBuilder().setName("nope").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }

    @Test
    void modelMetadataListsInputsWithVariableDimsAndOutputsAfterFirstResponse() {
        fx.kserve().modelInfer(raw("identity-fp32", "x", "FP32", new long[] {1, 2}, floats(1, 2)).build());
        ModelMetadataResponse m = fx.kserve().modelMetadata(ModelMetadataRequest.newBuilder().setName("identity-fp32").build());
        assertEquals("identity-fp32", m.getName());
        assertEquals(List.of("1"), m.getVersionsList());
        assertEquals("x", m.getInputs(0).getName());
        assertEquals("FP32", m.getInputs(0).getDatatype());
        assertEquals(List.of(-1L, -1L), m.getInputs(0).getShapeList());
        assertEquals("x", m.getOutputs(0).getName());
        assertEquals("FP32", m.getOutputs(0).getDatatype());
        assertEquals(List.of(-1L, -1L), m.getOutputs(0).getShapeList());
        var bytes = fx.kserve().modelMetadata(ModelMetadataRequest.newBuilder().setName("identity-bytes").build());
        assertEquals("BYTES", bytes.getInputs(0).getDatatype());
    }

    @Test
    void rawInputsOfEveryDatatypeComeBackBitIdentical() {
        Random r = new Random(1);
        Map<String, String> datatypes = Map.of("identity-fp16", "FP16", "identity-int64", "INT64",
                "identity-int32", "INT32", "identity-bool", "BOOL", "identity-uint8", "UINT8");
        Map<String, Integer> sizes = Map.of("FP16", 2, "INT64", 8, "INT32", 4, "BOOL", 1, "UINT8", 1);
        for (Map.Entry<String, String> e : datatypes.entrySet()) {
            int n = 5;
            byte[] data = new byte[n * sizes.get(e.getValue())];
            r.nextBytes(data);
            if (e.getValue().equals("BOOL")) {
                for (int i = 0; i < n; i++) {
                    data[i] = (byte) (data[i] & 1);
                }
            }
            if (e.getValue().equals("FP16")) {
                for (int i = 1; i < data.length; i += 2) {
                    data[i] &= 0x3b; // keep the exponent finite
                }
            }
            ModelInferResponse resp = fx.kserve().modelInfer(raw(e.getKey(), "x", e.getValue(), new long[] {n}, data).build());
            assertEquals(e.getValue(), resp.getOutputs(0).getDatatype(), e.getKey());
            assertEquals(List.of((long) n), resp.getOutputs(0).getShapeList());
            assertArrayEquals(data, resp.getRawOutputContents(0).toByteArray(), e.getKey());
        }
    }

    @Test
    void typedContentsAreAcceptedForEveryDatatypeThatHasAField() {
        ModelInferRequest.Builder fp32 = ModelInferRequest.newBuilder().setModelName("identity-fp32");
        fp32.addInputsBuilder().setName("x").setDatatype("FP32").addShape(1).addShape(3)
                .setContents(InferTensorContents.newBuilder().addFp32Contents(1.5f).addFp32Contents(-2f).addFp32Contents(3f));
        assertArrayEquals(floats(1.5f, -2f, 3f), fx.kserve().modelInfer(fp32.build()).getRawOutputContents(0).toByteArray());

        ModelInferRequest.Builder i64 = ModelInferRequest.newBuilder().setModelName("identity-int64");
        i64.addInputsBuilder().setName("x").setDatatype("INT64").addShape(2)
                .setContents(InferTensorContents.newBuilder().addInt64Contents(-7).addInt64Contents(1L << 40));
        ByteBuffer b = fx.kserve().modelInfer(i64.build()).getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(-7, b.getLong(0));
        assertEquals(1L << 40, b.getLong(8));

        ModelInferRequest.Builder i32 = ModelInferRequest.newBuilder().setModelName("identity-int32");
        i32.addInputsBuilder().setName("x").setDatatype("INT32").addShape(2)
                .setContents(InferTensorContents.newBuilder().addIntContents(5).addIntContents(-9));
        b = fx.kserve().modelInfer(i32.build()).getRawOutputContents(0).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(-9, b.getInt(4));

        ModelInferRequest.Builder bool = ModelInferRequest.newBuilder().setModelName("identity-bool");
        bool.addInputsBuilder().setName("x").setDatatype("BOOL").addShape(3)
                .setContents(InferTensorContents.newBuilder().addBoolContents(true).addBoolContents(false).addBoolContents(true));
        assertArrayEquals(new byte[] {1, 0, 1}, fx.kserve().modelInfer(bool.build()).getRawOutputContents(0).toByteArray());

        ModelInferRequest.Builder u8 = ModelInferRequest.newBuilder().setModelName("identity-uint8");
        u8.addInputsBuilder().setName("x").setDatatype("UINT8").addShape(2)
                .setContents(InferTensorContents.newBuilder().addUintContents(255).addUintContents(3));
        assertArrayEquals(new byte[] {(byte) 255, 3}, fx.kserve().modelInfer(u8.build()).getRawOutputContents(0).toByteArray());

        ModelInferRequest.Builder bytes = ModelInferRequest.newBuilder().setModelName("identity-bytes");
        bytes.addInputsBuilder().setName("x").setDatatype("BYTES").addShape(1)
                .setContents(InferTensorContents.newBuilder().addBytesContents(ByteString.copyFromUtf8("PNG...")));
        ModelInferResponse out = fx.kserve().modelInfer(bytes.build());
        assertEquals("UINT8", out.getOutputs(0).getDatatype());
        assertEquals("PNG...", out.getRawOutputContents(0).toStringUtf8());
    }

    @Test
    void rawBytesInputIsOneLengthPrefixedElement() {
        byte[] file = "an encoded image".getBytes();
        ByteBuffer b = ByteBuffer.allocate(4 + file.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(file.length).put(file);
        ModelInferResponse out = fx.kserve().modelInfer(raw("identity-bytes", "x", "BYTES", new long[] {1}, b.array()).build());
        assertArrayEquals(file, out.getRawOutputContents(0).toByteArray());
        assertEquals(List.of((long) file.length), out.getOutputs(0).getShapeList());
    }

    @Test
    void idVersionAndRoutingTracesOnRequest() {
        ModelInferRequest.Builder req = raw("moe", "x", "FP32", new long[] {3, 2}, floats(1, 2, 3, 4, 5, 6)).setId("req-42");
        ModelInferResponse plain = fx.kserve().modelInfer(req.build());
        assertEquals("req-42", plain.getId());
        assertEquals("moe", plain.getModelName());
        assertEquals(1, plain.getOutputsCount(), "no traces unless asked");
        assertArrayEquals(floats(1.5f, 3, 4.5f, 6, 7.5f, 9), plain.getRawOutputContents(0).toByteArray());

        req.putParameters("trace_routing", InferParameter.newBuilder().setBoolParam(true).build());
        ModelInferResponse traced = fx.kserve().modelInfer(req.build());
        assertEquals(List.of("y", "routing/layer0/indices", "routing/layer0/weights"),
                traced.getOutputsList().stream().map(ModelInferResponse.InferOutputTensor::getName).toList());
        assertEquals("INT64", traced.getOutputs(1).getDatatype());
        assertEquals(List.of(3L, 2L), traced.getOutputs(1).getShapeList());
        ByteBuffer idx = traced.getRawOutputContents(1).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0, idx.getLong(0));
        assertEquals(1, idx.getLong(8));
    }

    @Test
    void requestedOutputsFilterTheResponse() {
        ModelInferRequest.Builder req = raw("moe", "x", "FP32", new long[] {1, 2}, floats(1, 2));
        req.addOutputsBuilder().setName("y");
        assertEquals(1, fx.kserve().modelInfer(req.build()).getOutputsCount());
        req.addOutputsBuilder().setName("zzz");
        var e = assertThrows(StatusRuntimeException.class, () -> fx.kserve().modelInfer(req.build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertTrue(e.getStatus().getDescription().contains("zzz"));
    }

    @Test
    void grpcOutputsAreBitIdenticalToInProcessOutputs() {
        Random r = new Random(7);
        float[] x = new float[64 * 16];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        InferenceResult local = fx.kernel.engine().infer("moe",
                InferenceRequest.of(Map.of("x", HostTensor.ofFloats(x, 64, 16))));
        ModelInferResponse remote = fx.kserve().modelInfer(raw("moe", "x", "FP32", new long[] {64, 16}, floats(x)).build());
        assertArrayEquals(local.outputs().get("y").toByteArray(), remote.getRawOutputContents(0).toByteArray());
    }

    @Test
    void repositoryIndexLoadAndUnload() throws Exception {
        new PipelineStore(home.resolve("conf/pipelines")).save(new io.moxie.kernel.pipeline.PipelineYaml()
                .parse(TestPipelines.identity("stored", "float32", 1, false), "test", Map.of()));
        RepositoryIndexResponse before = fx.kserve().repositoryIndex(RepositoryIndexRequest.getDefaultInstance());
        assertTrue(before.getModelsList().stream().anyMatch(m -> m.getName().equals("moe") && m.getState().equals("READY")
                && m.getVersion().equals("1")));
        assertTrue(before.getModelsList().stream().noneMatch(m -> m.getName().equals("stored")));

        fx.kserve(GatewayFixture.TOKEN).repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName("stored").build());
        assertTrue(fx.kserve().modelReady(ModelReadyRequest.newBuilder().setName("stored").build()).getReady());
        RepositoryIndexResponse ready = fx.kserve().repositoryIndex(RepositoryIndexRequest.newBuilder().setReady(true).build());
        assertTrue(ready.getModelsList().stream().anyMatch(m -> m.getName().equals("stored")));

        fx.kserve(GatewayFixture.TOKEN).repositoryModelUnload(RepositoryModelUnloadRequest.newBuilder().setModelName("stored").build());
        var e = assertThrows(StatusRuntimeException.class,
                () -> fx.kserve().modelReady(ModelReadyRequest.newBuilder().setName("stored").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        var missing = assertThrows(StatusRuntimeException.class, () -> fx.kserve(GatewayFixture.TOKEN)
                .repositoryModelLoad(RepositoryModelLoadRequest.newBuilder().setModelName("no-such-model").build()));
        assertEquals(Status.Code.NOT_FOUND, missing.getStatus().getCode());
    }
}
