package io.moxie.gateway.impl.kserve;

import ai.djl.ndarray.types.DataType;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.moxie.api.InvalidInputException;
import io.moxie.gateway.impl.TensorTypes;
import io.moxie.gateway.impl.WireTensors;
import io.moxie.gateway.proto.inference.InferParameter;
import io.moxie.gateway.proto.inference.InferTensorContents;
import io.moxie.gateway.proto.inference.ModelInferRequest;
import io.moxie.gateway.proto.inference.ModelInferResponse;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.pipeline.InferenceResult;
import io.moxie.kernel.tensor.HostTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Translates Open Inference Protocol messages to kernel requests and kernel results back. Inputs arrive as
 * {@code raw_input_contents} or typed {@code contents}; outputs always leave as {@code raw_output_contents} (the
 * fast path: one byte string per output, no per-element boxing). Stateless.
 */
final class V2Codec {
    /** The request parameter that asks for routing traces. */
    static final String TRACE_ROUTING = "trace_routing";
    /** Output name prefix of routing traces: {@code routing/<layer>/indices}, {@code routing/<layer>/weights}. */
    static final String ROUTING_PREFIX = "routing/";

    private V2Codec() {
    }

    static InferenceRequest decode(ModelInferRequest request) {
        int raw = request.getRawInputContentsCount();
        if (raw > 0 && raw != request.getInputsCount()) {
            throw new InvalidInputException("raw_input_contents has " + raw + " entries for "
                    + request.getInputsCount() + " inputs; give one per input, in the order of 'inputs'");
        }
        Map<String, HostTensor> inputs = new LinkedHashMap<>();
        for (int i = 0; i < request.getInputsCount(); i++) {
            ModelInferRequest.InferInputTensor in = request.getInputs(i);
            String name = in.getName();
            if (name.isEmpty()) {
                throw new InvalidInputException("input " + i + " has no name");
            }
            HostTensor t;
            if (raw > 0) {
                if (in.hasContents()) {
                    throw new InvalidInputException("input '" + name + "' has typed contents although the request "
                            + "uses raw_input_contents; use one or the other");
                }
                t = fromRaw(in, request.getRawInputContents(i));
            } else {
                if (!in.hasContents()) {
                    throw new InvalidInputException("input '" + name + "' has no data (neither contents nor "
                            + "raw_input_contents)");
                }
                t = fromContents(in);
            }
            if (inputs.put(name, t) != null) {
                throw new InvalidInputException("input '" + name + "' given twice");
            }
        }
        Map<String, String> parameters = parameters(request.getParametersMap());
        boolean trace = Boolean.parseBoolean(parameters.getOrDefault(TRACE_ROUTING, "false"))
                || "1".equals(parameters.get(TRACE_ROUTING));
        return new InferenceRequest(inputs, parameters, trace);
    }

    private static HostTensor fromRaw(ModelInferRequest.InferInputTensor in, ByteString data) {
        String name = in.getName();
        String datatype = in.getDatatype();
        if (TensorTypes.BYTES.equals(datatype)) {
            return bytesElement(name, in.getShapeList(), lengthPrefixed(name, data));
        }
        DataType type = type(name, datatype);
        return WireTensors.fromBytes(name, datatype, type, in.getShapeList(), data.asReadOnlyByteBuffer());
    }

    private static HostTensor fromContents(ModelInferRequest.InferInputTensor in) {
        String name = in.getName();
        String datatype = in.getDatatype();
        InferTensorContents c = in.getContents();
        List<Long> shape = in.getShapeList();
        if (TensorTypes.BYTES.equals(datatype)) {
            return bytesElement(name, shape, c.getBytesContentsList());
        }
        DataType type = type(name, datatype);
        long n = WireTensors.elements(name, shape);
        int count = switch (type) {
            case BOOLEAN -> c.getBoolContentsCount();
            case UINT8 -> c.getUintContentsCount();
            case INT8, INT32 -> c.getIntContentsCount();
            case INT64 -> c.getInt64ContentsCount();
            case FLOAT32 -> c.getFp32ContentsCount();
            case FLOAT64 -> c.getFp64ContentsCount();
            default -> throw new InvalidInputException("input '" + name + "': " + datatype
                    + " has no typed contents field; send it in raw_input_contents");
        };
        if (count != n) {
            throw new InvalidInputException("input '" + name + "': contents hold " + count + " " + datatype
                    + " values, shape " + shape + " needs " + n);
        }
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(n * type.getNumOfBytes())).order(ByteOrder.LITTLE_ENDIAN);
        switch (type) {
            case BOOLEAN -> c.getBoolContentsList().forEach(v -> b.put((byte) (v ? 1 : 0)));
            case UINT8 -> c.getUintContentsList().forEach(v -> b.put((byte) checkRange(name, v, 0, 255)));
            case INT8 -> c.getIntContentsList().forEach(v -> b.put((byte) checkRange(name, v, -128, 127)));
            case INT32 -> c.getIntContentsList().forEach(b::putInt);
            case INT64 -> c.getInt64ContentsList().forEach(b::putLong);
            case FLOAT32 -> c.getFp32ContentsList().forEach(b::putFloat);
            case FLOAT64 -> c.getFp64ContentsList().forEach(b::putDouble);
            default -> throw new IllegalStateException(type.toString());
        }
        b.flip();
        return new HostTensor(type, WireTensors.shape(shape), b);
    }

    private static int checkRange(String name, int v, int min, int max) {
        if (v < min || v > max) {
            throw new InvalidInputException("input '" + name + "': value " + v + " is out of range [" + min + ", "
                    + max + "]");
        }
        return v;
    }

    /** Splits a raw BYTES tensor: each element is a 4-byte little-endian length, then that many bytes. */
    private static List<ByteString> lengthPrefixed(String name, ByteString data) {
        List<ByteString> out = new ArrayList<>();
        // slice: a byte string that shares a larger array (parsed with aliasing) starts at a non-zero position
        ByteBuffer b = data.asReadOnlyByteBuffer().slice().order(ByteOrder.LITTLE_ENDIAN);
        while (b.hasRemaining()) {
            if (b.remaining() < 4) {
                throw new InvalidInputException("input '" + name + "': BYTES data ends inside a length prefix");
            }
            long len = Integer.toUnsignedLong(b.getInt());
            if (len > b.remaining()) {
                throw new InvalidInputException("input '" + name + "': BYTES element of " + len + " bytes, but only "
                        + b.remaining() + " remain");
            }
            int start = b.position();
            out.add(data.substring(start, start + (int) len));
            b.position(start + (int) len);
        }
        return out;
    }

    /** A BYTES tensor carries one encoded file (an image, a point cloud): it becomes a uint8 vector. */
    private static HostTensor bytesElement(String name, List<Long> shape, List<ByteString> elements) {
        long n = WireTensors.elements(name, shape);
        if (n != elements.size()) {
            throw new InvalidInputException("input '" + name + "': BYTES shape " + shape + " needs " + n
                    + " elements, got " + elements.size());
        }
        if (n != 1) {
            throw new InvalidInputException("input '" + name + "': a BYTES input carries one encoded file, so its "
                    + "shape must be [1], got " + shape);
        }
        return HostTensor.ofBytes(elements.get(0).toByteArray());
    }

    private static DataType type(String name, String datatype) {
        DataType t = TensorTypes.fromWire(datatype);
        if (t == null) {
            throw new InvalidInputException("input '" + name + "': datatype '" + datatype + "' is not supported "
                    + "(use BOOL, UINT8, INT8, INT32, INT64, FP16, BF16, FP32, FP64 or BYTES)");
        }
        return t;
    }

    static Map<String, String> parameters(Map<String, InferParameter> given) {
        Map<String, String> out = new LinkedHashMap<>();
        given.forEach((k, p) -> out.put(k, switch (p.getParameterChoiceCase()) {
            case BOOL_PARAM -> Boolean.toString(p.getBoolParam());
            case INT64_PARAM -> Long.toString(p.getInt64Param());
            case STRING_PARAM -> p.getStringParam();
            case DOUBLE_PARAM -> Double.toString(p.getDoubleParam());
            case UINT64_PARAM -> Long.toUnsignedString(p.getUint64Param());
            case PARAMETERCHOICE_NOT_SET -> "";
        }));
        return out;
    }

    static ModelInferResponse encode(ModelInferRequest request, InferenceResult result) {
        Set<String> wanted = new LinkedHashSet<>();
        request.getOutputsList().forEach(o -> wanted.add(o.getName()));
        for (String name : wanted) {
            if (!result.outputs().containsKey(name)) {
                throw new InvalidInputException("model '" + request.getModelName() + "' has no output '" + name
                        + "' (outputs: " + result.outputs().keySet() + ")");
            }
        }
        ModelInferResponse.Builder r = ModelInferResponse.newBuilder()
                .setModelName(result.pipeline())
                .setModelVersion(Integer.toString(result.version().version()))
                .setId(request.getId())
                .putParameters("pipeline_version", InferParameter.newBuilder()
                        .setInt64Param(result.version().version()).build());
        for (Map.Entry<String, HostTensor> e : result.outputs().entrySet()) {
            if (wanted.isEmpty() || wanted.contains(e.getKey())) {
                add(r, e.getKey(), e.getValue());
            }
        }
        result.routing().forEach((key, t) -> add(r, ROUTING_PREFIX + key, t));
        return r.build();
    }

    private static void add(ModelInferResponse.Builder r, String name, HostTensor t) {
        ModelInferResponse.InferOutputTensor.Builder o = r.addOutputsBuilder()
                .setName(name).setDatatype(TensorTypes.toWire(t.dataType()));
        for (long d : t.shape()) {
            o.addShape(d);
        }
        // HostTensor is immutable, so its buffer can back the response without a copy
        r.addRawOutputContents(UnsafeByteOperations.unsafeWrap(t.data()));
    }
}
