package io.moxie.gateway.impl.nativeapi;

import ai.djl.ndarray.types.DataType;
import com.google.protobuf.UnsafeByteOperations;
import io.moxie.api.InvalidInputException;
import io.moxie.gateway.impl.TensorTypes;
import io.moxie.gateway.impl.WireTensors;
import io.moxie.gateway.proto.moxie.RoutingTrace;
import io.moxie.gateway.proto.moxie.Tensor;
import io.moxie.kernel.tensor.HostTensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code moxie.v1.Tensor} against kernel tensors. A {@code BYTES} tensor's data is one encoded file. */
final class NativeTensors {
    private NativeTensors() {
    }

    static Map<String, HostTensor> decode(List<Tensor> tensors) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (Tensor t : tensors) {
            if (t.getName().isEmpty()) {
                throw new InvalidInputException("an input tensor has no name");
            }
            HostTensor h;
            if (TensorTypes.BYTES.equals(t.getDatatype())) {
                h = HostTensor.ofBytes(t.getData().toByteArray());
            } else {
                DataType type = TensorTypes.fromWire(t.getDatatype());
                if (type == null) {
                    throw new InvalidInputException("input '" + t.getName() + "': datatype '" + t.getDatatype()
                            + "' is not supported");
                }
                h = WireTensors.fromBytes(t.getName(), t.getDatatype(), type, t.getShapeList(),
                        t.getData().asReadOnlyByteBuffer());
            }
            if (out.put(t.getName(), h) != null) {
                throw new InvalidInputException("input '" + t.getName() + "' given twice");
            }
        }
        return out;
    }

    static Tensor encode(String name, HostTensor t) {
        Tensor.Builder b = Tensor.newBuilder().setName(name).setDatatype(TensorTypes.toWire(t.dataType()))
                .setData(UnsafeByteOperations.unsafeWrap(t.data()));
        for (long d : t.shape()) {
            b.addShape(d);
        }
        return b.build();
    }

    /** Groups the kernel's {@code <layer>/indices} and {@code <layer>/weights} traces per layer, in layer order. */
    static List<RoutingTrace> routing(Map<String, HostTensor> traces) {
        Map<String, RoutingTrace.Builder> layers = new LinkedHashMap<>();
        traces.forEach((key, t) -> {
            int slash = key.lastIndexOf('/');
            String layer = slash < 0 ? key : key.substring(0, slash);
            String part = slash < 0 ? "" : key.substring(slash + 1);
            RoutingTrace.Builder b = layers.computeIfAbsent(layer, l -> RoutingTrace.newBuilder().setLayer(l));
            if (part.equals("indices")) {
                b.setIndices(encode("indices", t));
            } else if (part.equals("weights")) {
                b.setWeights(encode("weights", t));
            }
        });
        List<RoutingTrace> out = new ArrayList<>();
        layers.values().forEach(b -> out.add(b.build()));
        return out;
    }
}
