package io.moxie.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.moxie.gateway.proto.inference.GRPCInferenceServiceGrpc;
import io.moxie.gateway.proto.inference.ModelInferRequest;
import io.moxie.gateway.proto.inference.ModelInferResponse;
import io.moxie.gateway.testing.GatewayFixture;
import io.moxie.gateway.testing.TestPipelines;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Each kind of bad request gets its status, and a good request right after it is served. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {
    private static final int MAX_MESSAGE = 256 << 10;
    private GatewayFixture fx;

    @BeforeAll
    void start(@TempDir Path home) throws Exception {
        fx = GatewayFixture.start(home, GatewayFixture.options().withMaxMessageBytes(MAX_MESSAGE),
                TestPipelines.standard());
    }

    @AfterAll
    void stop() throws Exception {
        fx.close();
    }

    private static ModelInferRequest fp32(String model, long[] shape, int bytes) {
        return KServeApiTest.raw(model, "x", "FP32", shape, new byte[bytes]).build();
    }

    private void expect(Status.Code code, String mentions, Supplier<ModelInferRequest> bad) {
        var e = assertThrows(StatusRuntimeException.class, () -> fx.kserve().modelInfer(bad.get()));
        assertEquals(code, e.getStatus().getCode(), e.getStatus().toString());
        if (mentions != null) {
            assertTrue(e.getStatus().getDescription().contains(mentions), e.getStatus().getDescription());
        }
        ModelInferResponse good = fx.kserve().modelInfer(KServeApiTest.raw("identity-fp32", "x", "FP32",
                new long[] {1, 2}, KServeApiTest.floats(1, 2)).build());
        assertArrayEquals(KServeApiTest.floats(1, 2), good.getRawOutputContents(0).toByteArray(), "served after " + code);
    }

    @Test
    void eachBadRequestGetsItsStatusAndTheServerKeepsServing() {
        Map<String, Runnable> cases = new LinkedHashMap<>();
        cases.put("unknown model", () -> expect(Status.Code.NOT_FOUND, "nope", () -> fp32("nope", new long[] {1, 1}, 4)));
        cases.put("unknown version", () -> expect(Status.Code.NOT_FOUND, "version", () ->
                fp32("identity-fp32", new long[] {1, 1}, 4).toBuilder().setModelVersion("99").build()));
        cases.put("wrong datatype", () -> expect(Status.Code.INVALID_ARGUMENT, "'x'", () ->
                KServeApiTest.raw("identity-fp32", "x", "INT64", new long[] {1, 1}, new byte[8]).build()));
        cases.put("unsupported datatype", () -> expect(Status.Code.INVALID_ARGUMENT, "UINT16", () ->
                KServeApiTest.raw("identity-fp32", "x", "UINT16", new long[] {1, 1}, new byte[2]).build()));
        cases.put("wrong rank", () -> expect(Status.Code.INVALID_ARGUMENT, "'x'", () -> fp32("identity-fp32", new long[] {4}, 16)));
        cases.put("raw byte length", () -> expect(Status.Code.INVALID_ARGUMENT, "'x'", () -> fp32("identity-fp32", new long[] {2, 2}, 15)));
        cases.put("negative dimension", () -> expect(Status.Code.INVALID_ARGUMENT, "'x'", () -> fp32("identity-fp32", new long[] {-1, 2}, 8)));
        cases.put("extra input", () -> expect(Status.Code.INVALID_ARGUMENT, "'z'", () -> fp32("identity-fp32", new long[] {1, 1}, 4)
                .toBuilder().addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("z").setDatatype("FP32").addShape(1))
                .addRawInputContents(ByteString.copyFrom(new byte[4])).build()));
        cases.put("missing input", () -> expect(Status.Code.INVALID_ARGUMENT, "'x'", () ->
                ModelInferRequest.newBuilder().setModelName("identity-fp32").build()));
        cases.put("raw count", () -> expect(Status.Code.INVALID_ARGUMENT, "raw_input_contents", () -> fp32("identity-fp32",
                new long[] {1, 1}, 4).toBuilder().addRawInputContents(ByteString.EMPTY).build()));
        cases.put("typed count", () -> expect(Status.Code.INVALID_ARGUMENT, "'x'", () -> {
            ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName("identity-fp32");
            b.addInputsBuilder().setName("x").setDatatype("FP32").addShape(1).addShape(2)
                    .getContentsBuilder().addFp32Contents(1);
            return b.build();
        }));
        cases.put("BYTES with two elements", () -> expect(Status.Code.INVALID_ARGUMENT, "'x'", () -> {
            ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName("identity-bytes");
            b.addInputsBuilder().setName("x").setDatatype("BYTES").addShape(2).getContentsBuilder()
                    .addBytesContents(ByteString.copyFromUtf8("a")).addBytesContents(ByteString.copyFromUtf8("b"));
            return b.build();
        }));
        cases.put("NaN where finite", () -> expect(Status.Code.INVALID_ARGUMENT, "finite", () ->
                KServeApiTest.raw("finite", "x", "FP32", new long[] {2}, KServeApiTest.floats(1, Float.NaN)).build()));
        cases.put("Inf where finite", () -> expect(Status.Code.INVALID_ARGUMENT, "finite", () ->
                KServeApiTest.raw("finite", "x", "FP32", new long[] {1}, KServeApiTest.floats(Float.NEGATIVE_INFINITY)).build()));
        cases.put("message over the maximum", () -> expect(Status.Code.RESOURCE_EXHAUSTED, null, () ->
                fp32("identity-fp32", new long[] {1, 100_000}, 400_000)));
        cases.forEach((name, test) -> {
            try {
                test.run();
            } catch (AssertionError e) {
                throw new AssertionError(name + ": " + e.getMessage(), e);
            }
        });
        assertEquals(0, fx.gateway.scrapeMetrics().contains("moxie_requests_in_flight 0") ? 0 : 1, "nothing left in flight");
    }

    @Test
    void finiteValuesPassWhereFiniteIsDeclared() {
        ModelInferResponse r = fx.kserve().modelInfer(KServeApiTest.raw("finite", "x", "FP32", new long[] {2},
                KServeApiTest.floats(1, -3)).build());
        assertArrayEquals(KServeApiTest.floats(1, -3), r.getRawOutputContents(0).toByteArray());
    }

    @Test
    void deadlinesAndCancellationsLeaveNoRequestMemoryBehind() throws Exception {
        ModelInferRequest slow = KServeApiTest.raw("slow", "x", "FP32", new long[] {2}, KServeApiTest.floats(1, 2)).build();
        fx.kserve().modelInfer(slow); // connected and warm
        int baseline = fx.kernel.engine().rootManager().getManagedArrays().size();
        var e = assertThrows(StatusRuntimeException.class,
                () -> fx.kserve().withDeadlineAfter(100, TimeUnit.MILLISECONDS).modelInfer(slow));
        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
        var future = GRPCInferenceServiceGrpc.newFutureStub(fx.channel).modelInfer(slow);
        Thread.sleep(50);
        future.cancel(true);
        expect(Status.Code.NOT_FOUND, null, () -> fp32("nope", new long[] {1, 1}, 4));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while ((fx.kernel.engine().rootManager().getManagedArrays().size() != baseline
                || !fx.gateway.scrapeMetrics().contains("moxie_requests_in_flight 0")) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(baseline, fx.kernel.engine().rootManager().getManagedArrays().size(), "request memory freed");
        assertTrue(fx.gateway.scrapeMetrics().contains("moxie_requests_in_flight 0"));
    }
}
