package io.moxie.gateway.impl.kserve;

import io.moxie.gateway.impl.TensorTypes;
import io.moxie.gateway.proto.inference.ModelMetadataResponse;
import io.moxie.kernel.pipeline.InferenceResult;
import io.moxie.kernel.tensor.HostTensor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What each pipeline's outputs look like, for {@code ModelMetadata}: learnt from the responses the gateway sends
 * (datatype and rank; every dimension reported as {@code -1}), per serving version.
 *
 * <p>Needed because the kernel does not yet expose the output specs of a compiled version; when it does, metadata
 * should read them there and this class can go.
 */
final class OutputCatalog {
    private record Seen(int version, List<ModelMetadataResponse.TensorMetadata> outputs) {
    }

    private final Map<String, Seen> seen = new ConcurrentHashMap<>();

    void remember(InferenceResult result) {
        Seen s = seen.get(result.pipeline());
        if (s != null && s.version() == result.version().version()) {
            return;
        }
        List<ModelMetadataResponse.TensorMetadata> outputs = new ArrayList<>();
        for (Map.Entry<String, HostTensor> e : result.outputs().entrySet()) {
            ModelMetadataResponse.TensorMetadata.Builder t = ModelMetadataResponse.TensorMetadata.newBuilder()
                    .setName(e.getKey()).setDatatype(TensorTypes.toWire(e.getValue().dataType()));
            for (int i = 0; i < e.getValue().shape().length; i++) {
                t.addShape(-1);
            }
            outputs.add(t.build());
        }
        seen.put(result.pipeline(), new Seen(result.version().version(), List.copyOf(outputs)));
    }

    /** Returns the outputs seen for a pipeline's version, or null if none was served yet. */
    List<ModelMetadataResponse.TensorMetadata> outputs(String pipeline, int version) {
        Seen s = seen.get(pipeline);
        return s == null || s.version() != version ? null : s.outputs();
    }

    void forget(String pipeline) {
        seen.remove(pipeline);
    }
}
