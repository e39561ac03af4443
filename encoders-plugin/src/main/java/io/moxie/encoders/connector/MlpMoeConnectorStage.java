package io.moxie.encoders.connector;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.moxie.api.InvalidInputException;
import io.moxie.api.MoeLayer;
import io.moxie.api.MoeOutput;
import io.moxie.api.RequestContext;
import io.moxie.api.Stage;
import io.moxie.api.TensorSpec;
import io.moxie.encoders.impl.DenseMlp;
import io.moxie.encoders.impl.Inputs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The connector: one MoE layer (or a dense MLP) over every token; immutable, hence thread-safe. */
final class MlpMoeConnectorStage implements Stage {
    static final String FEATURES = "features";
    static final String PROJECTED = "projected";
    static final String ROUTER_INDICES = "router_indices";
    static final String ROUTER_WEIGHTS = "router_weights";

    private final String name;
    private final long inputSize;
    private final long outputSize;
    private final int topK;
    private final DenseMlp dense;
    private final MoeLayer moe;

    /** Exactly one of {@code dense} and {@code moe} is non-null; {@code topK} is 0 for a dense connector. */
    MlpMoeConnectorStage(String name, long inputSize, long outputSize, int topK, DenseMlp dense,
                         MoeLayer moe) {
        this.name = name;
        this.inputSize = inputSize;
        this.outputSize = outputSize;
        this.topK = topK;
        this.dense = dense;
        this.moe = moe;
    }

    @Override
    public List<TensorSpec> inputs() {
        return List.of(new TensorSpec(FEATURES, DataType.FLOAT32, new long[] {-1, -1, inputSize}));
    }

    @Override
    public List<TensorSpec> outputs() {
        List<TensorSpec> out = new ArrayList<>();
        out.add(new TensorSpec(PROJECTED, DataType.FLOAT32, new long[] {-1, -1, outputSize}));
        if (moe != null) {
            out.add(new TensorSpec(ROUTER_INDICES, DataType.INT64, new long[] {-1, -1, topK}));
            out.add(new TensorSpec(ROUTER_WEIGHTS, DataType.FLOAT32, new long[] {-1, -1, topK}));
        }
        return out;
    }

    @Override
    public Map<String, NDArray> run(Map<String, NDArray> inputs, RequestContext request) {
        NDArray features = Inputs.require(inputs, FEATURES, name);
        long[] shape = features.getShape().getShape();
        if (shape.length != 3 || shape[2] != inputSize) {
            throw new InvalidInputException("stage '" + name + "': input 'features' must be [B, N, " + inputSize
                    + "], got " + features.getShape());
        }
        long images = shape[0];
        long tokens = shape[1];
        NDArray flat = features.reshape(images * tokens, inputSize);
        Map<String, NDArray> out = new LinkedHashMap<>();
        if (moe == null) {
            out.put(PROJECTED, keep(dense.forward(flat).reshape(images, tokens, outputSize), request));
            return out;
        }
        MoeOutput result = moe.forward(flat, request);
        out.put(PROJECTED, keep(result.output().reshape(images, tokens, outputSize), request));
        out.put(ROUTER_INDICES, keep(result.routing().indices().reshape(images, tokens, topK), request));
        out.put(ROUTER_WEIGHTS, keep(result.routing().weights().reshape(images, tokens, topK), request));
        return out;
    }

    private static NDArray keep(NDArray array, RequestContext request) {
        array.attach(request.manager());
        return array;
    }
}
