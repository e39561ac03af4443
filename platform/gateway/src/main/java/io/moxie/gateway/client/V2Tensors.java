package io.moxie.gateway.client;

import ai.djl.ndarray.types.DataType;
import com.google.protobuf.UnsafeByteOperations;
import io.moxie.gateway.impl.TensorTypes;
import io.moxie.gateway.proto.inference.InferParameter;
import io.moxie.gateway.proto.inference.ModelInferRequest;
import io.moxie.gateway.proto.inference.ModelInferResponse;
import io.moxie.kernel.tensor.HostTensor;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Client-side helpers for the Open Inference Protocol: kernel tensors into a {@code ModelInferRequest} (raw
 * contents, the fast path) and a {@code ModelInferResponse} back into tensors. Used by the {@code moxie} CLI;
 * any grpc-java client may use them. Stateless.
 */
public final class V2Tensors {
    /** The request parameter that asks for routing traces (outputs named {@code routing/<layer>/...}). */
    public static final String TRACE_ROUTING = "trace_routing";

    private V2Tensors() {
    }

    /**
     * Builds a request with every input as raw contents, in the order given.
     *
     * @param traceRouting whether to ask for routing traces
     */
    public static ModelInferRequest request(String model, Map<String, HostTensor> inputs, boolean traceRouting) {
        ModelInferRequest.Builder b = ModelInferRequest.newBuilder().setModelName(model);
        for (Map.Entry<String, HostTensor> e : inputs.entrySet()) {
            HostTensor t = e.getValue();
            ModelInferRequest.InferInputTensor.Builder in = b.addInputsBuilder().setName(e.getKey())
                    .setDatatype(TensorTypes.toWire(t.dataType()));
            for (long d : t.shape()) {
                in.addShape(d);
            }
            // HostTensor is immutable: its buffer can back the request without a copy
            b.addRawInputContents(UnsafeByteOperations.unsafeWrap(t.data()));
        }
        if (traceRouting) {
            b.putParameters(TRACE_ROUTING, InferParameter.newBuilder().setBoolParam(true).build());
        }
        return b.build();
    }

    /**
     * Returns the outputs of a response by name, in response order.
     *
     * @throws IllegalArgumentException if the response is malformed (no raw contents, unknown datatype)
     */
    public static Map<String, HostTensor> outputs(ModelInferResponse response) {
        if (response.getRawOutputContentsCount() != response.getOutputsCount()) {
            throw new IllegalArgumentException("response has " + response.getOutputsCount() + " outputs but "
                    + response.getRawOutputContentsCount() + " raw contents");
        }
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (int i = 0; i < response.getOutputsCount(); i++) {
            ModelInferResponse.InferOutputTensor o = response.getOutputs(i);
            DataType type = TensorTypes.fromWire(o.getDatatype());
            if (type == null) {
                throw new IllegalArgumentException("output '" + o.getName() + "' has unsupported datatype " + o.getDatatype());
            }
            long[] shape = o.getShapeList().stream().mapToLong(Long::longValue).toArray();
            out.put(o.getName(), new HostTensor(type, shape,
                    response.getRawOutputContents(i).asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN)));
        }
        return out;
    }
}
