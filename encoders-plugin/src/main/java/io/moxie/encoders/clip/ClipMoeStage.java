package io.moxie.encoders.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import io.moxie.api.InvalidInputException;
import io.moxie.api.MoxieException;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;
import io.moxie.api.Stage;
import io.moxie.api.TensorSpec;
import io.moxie.encoders.impl.Inputs;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The CLIP(-MoE) vision tower over a batch of images or S² crops: embeddings, then the used encoder layers only,
 * then feature selection. Immutable, hence thread-safe.
 */
final class ClipMoeStage implements Stage {
    static final String PIXEL_VALUES = "pixel_values";
    static final String FEATURES = "features";
    static final String ROUTER_INDICES = "router_indices_layer";
    static final String ROUTER_WEIGHTS = "router_weights_layer";

    private final String name;
    private final TowerConfig config;
    private final PatchEmbedding embedding;
    private final List<EncoderLayer> layers;
    private final int topK;
    private final boolean inputOptional;

    /**
     * @param topK experts per token of the MoE layers, 0 for a dense tower (no routing outputs)
     * @param inputOptional whether a request without {@code pixel_values} is served (no outputs) rather than refused
     */
    ClipMoeStage(String name, TowerConfig config, PatchEmbedding embedding, List<EncoderLayer> layers, int topK,
                 boolean inputOptional) {
        this.name = name;
        this.config = config;
        this.embedding = embedding;
        this.layers = List.copyOf(layers);
        this.topK = topK;
        this.inputOptional = inputOptional;
    }

    @Override
    public List<TensorSpec> inputs() {
        long s = config.imageSize();
        return List.of(new TensorSpec(PIXEL_VALUES, DataType.FLOAT32, new long[] {-1, config.channels(), s, s}));
    }

    @Override
    public List<TensorSpec> outputs() {
        List<TensorSpec> out = new ArrayList<>();
        out.add(new TensorSpec(FEATURES, DataType.FLOAT32, new long[] {-1, config.featureTokens(), config.hiddenSize()}));
        if (topK > 0) {
            long[] routing = {-1, config.tokens(), topK};
            for (int l = 0; l < layers.size(); l++) {
                out.add(new TensorSpec(ROUTER_INDICES + l, DataType.INT64, routing));
                out.add(new TensorSpec(ROUTER_WEIGHTS + l, DataType.FLOAT32, routing));
            }
        }
        return out;
    }

    @Override
    public Map<String, NDArray> run(Map<String, NDArray> inputs, RequestContext request) {
        if (inputOptional && !inputs.containsKey(PIXEL_VALUES)) {
            return Map.of(); // a request of the pipeline that does not use this branch (a chat without an image)
        }
        NDArray pixels = Inputs.require(inputs, PIXEL_VALUES, name);
        if (!inputs().get(0).accepts(pixels.getShape().getShape())) {
            throw new InvalidInputException("stage '" + name + "': input 'pixel_values' must be [N, "
                    + config.channels() + ", " + config.imageSize() + ", " + config.imageSize() + "], got "
                    + pixels.getShape());
        }
        long images = pixels.getShape().get(0);
        Map<String, NDArray> out = new LinkedHashMap<>();
        try (NDManager scope = request.manager().newSubManager()) {
            pixels.tempAttach(scope);
            NDArray x = embedding.forward(pixels);
            for (int l = 0; l < layers.size(); l++) {
                if (request.isCancelled()) {
                    throw new MoxieException("request " + request.id() + " was cancelled in stage '" + name
                            + "' before layer " + l);
                }
                // Each layer's intermediates (attention scores are [N, heads, T, T]) die with the layer.
                try (NDManager layerScope = scope.newSubManager()) {
                    x.attach(layerScope);
                    EncoderLayer.Output o = layers.get(l).forward(x, request);
                    o.hidden().attach(scope);
                    x = o.hidden();
                    if (o.routing() != null) {
                        putRouting(out, l, o.routing(), images, request);
                    }
                }
            }
            NDArray features = config.keepCls() ? x : x.get(new NDIndex(":, 1:{}, :", 1 + config.featureTokens()));
            features.attach(request.manager());
            out.put(FEATURES, features);
        }
        return out;
    }

    private void putRouting(Map<String, NDArray> out, int layer, Routing routing, long images, RequestContext request) {
        NDArray indices = routing.indices().reshape(images, config.tokens(), topK);
        NDArray weights = routing.weights().reshape(images, config.tokens(), topK);
        indices.attach(request.manager());
        weights.attach(request.manager());
        out.put(ROUTER_INDICES + layer, indices);
        out.put(ROUTER_WEIGHTS + layer, weights);
    }
}
