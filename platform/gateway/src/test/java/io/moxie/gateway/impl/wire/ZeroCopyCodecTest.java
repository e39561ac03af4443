package io.moxie.gateway.impl.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.moxie.gateway.proto.inference.InferParameter;
import io.moxie.gateway.proto.inference.ModelInferRequest;
import io.moxie.gateway.proto.inference.ModelInferResponse;
import io.vertx.core.buffer.Buffer;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.WireFormat;
import java.nio.ByteBuffer;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ZeroCopyCodecTest {
    private static final GrpcMessageEncoder<ModelInferResponse> KSERVE = ZeroCopyCodec.rawTailEncoder(
            ModelInferResponse.RAW_OUTPUT_CONTENTS_FIELD_NUMBER, r -> r.toBuilder().clearRawOutputContents().build(),
            ModelInferResponse::getRawOutputContentsList);

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void decodedBytesFieldsShareTheReceivedBuffer() throws Exception {
        byte[] tensor = random(100_000, 1);
        byte[] wire = ModelInferRequest.newBuilder().setModelName("m").setId("r1")
                .addInputs(ModelInferRequest.InferInputTensor.newBuilder().setName("x").setDatatype("FP32").addShape(25_000))
                .putParameters("p", InferParameter.newBuilder().setStringParam("v").build())
                .addRawInputContents(ByteString.copyFrom(tensor)).build().toByteArray();
        // as the gRPC server hands it over: a slice of a larger buffer (the 5-byte prefix in front)
        Buffer received = Buffer.buffer().appendBytes(new byte[5]).appendBytes(wire);
        GrpcMessageDecoder<ModelInferRequest> decoder = ZeroCopyCodec.decoder(ModelInferRequest.getDefaultInstance());
        ModelInferRequest r = decoder.decode(GrpcMessage.message("identity", received.slice(5, received.length())));
        assertEquals(ModelInferRequest.parseFrom(wire), r);
        ByteBuffer view = r.getRawInputContents(0).asReadOnlyByteBuffer();
        assertEquals(tensor[0], view.get(view.position()));
        // aliasing: a change to the received bytes shows through (proof that nothing was copied)
        int at = received.length() - tensor.length;
        received.setByte(at, (byte) (tensor[0] + 1));
        assertEquals((byte) (tensor[0] + 1), r.getRawInputContents(0).byteAt(0));
    }

    @Test
    void rawTailEncodingIsByteIdenticalToProtobuf() throws Exception {
        for (int size : new int[] {0, 10, ZeroCopyCodec.MIN_REFERENCED, 300_000}) {
            ModelInferResponse.Builder b = ModelInferResponse.newBuilder().setModelName("m").setModelVersion("3").setId("r")
                    .putParameters("pipeline_version", InferParameter.newBuilder().setInt64Param(3).build());
            b.addOutputsBuilder().setName("y").setDatatype("FP32").addShape(size / 4);
            b.addOutputsBuilder().setName("z").setDatatype("UINT8").addShape(7);
            // as the gateway builds it: views of read-only buffers (HostTensor data) and of arrays
            b.addRawOutputContents(UnsafeByteOperations.unsafeWrap(ByteBuffer.wrap(random(size, size)).asReadOnlyBuffer()));
            b.addRawOutputContents(UnsafeByteOperations.unsafeWrap(random(7, 2)));
            ModelInferResponse msg = b.build();
            Buffer encoded = KSERVE.encode(msg, WireFormat.PROTOBUF).payload();
            assertArrayEquals(msg.toByteArray(), encoded.getBytes(), "size " + size);
            assertEquals(msg, ModelInferResponse.parseFrom(encoded.getBytes()));
        }
    }

    @Test
    void jsonFallsBackToTheStandardCodecs() throws Exception {
        ModelInferResponse msg = ModelInferResponse.newBuilder().setModelName("m")
                .addRawOutputContents(ByteString.copyFrom(random(40_000, 3))).build();
        GrpcMessage json = KSERVE.encode(msg, WireFormat.JSON);
        assertEquals(WireFormat.JSON, json.format());
        assertEquals(GrpcMessageEncoder.encoder().encode(msg, WireFormat.JSON).payload(), json.payload());
        GrpcMessageDecoder<ModelInferResponse> decoder = ZeroCopyCodec.decoder(ModelInferResponse.getDefaultInstance());
        assertEquals(msg, decoder.decode(json));
    }

    @Test
    void exactSizeEncoderMatchesProtobuf() throws Exception {
        ModelInferRequest msg = ModelInferRequest.newBuilder().setModelName("m")
                .addRawInputContents(ByteString.copyFrom(random(50_000, 4))).build();
        GrpcMessageEncoder<ModelInferRequest> encoder = ZeroCopyCodec.encoder();
        assertArrayEquals(msg.toByteArray(), encoder.encode(msg, WireFormat.PROTOBUF).payload().getBytes());
    }
}
