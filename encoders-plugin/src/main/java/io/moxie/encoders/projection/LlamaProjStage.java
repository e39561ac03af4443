package io.moxie.encoders.projection;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.moxie.api.InvalidInputException;
import io.moxie.api.RequestContext;
import io.moxie.api.Stage;
import io.moxie.api.TensorSpec;
import io.moxie.encoders.impl.LinearMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code llama-proj} stage ({@link LlamaProjStageFactory}): one linear from the tower's width {@code D} into the
 * LLM's {@code H}. Weights {@code [H, D]} and {@code [H]} float32, owned by the component's manager; immutable, hence
 * thread-safe.
 */
final class LlamaProjStage implements Stage {
    static final String FEATURES = "features";
    static final String VISION_TOKENS = "vision_tokens";
    static final String IMAGE_TOKENS = "image_tokens";

    private final String name;
    private final NDArray weight;
    /** The projection, on OpenBLAS where available (the tower's GEMMs' pool), else on DJL. */
    private final LinearMap projection;
    private final boolean singleImage;
    private final List<TensorSpec> inputs;
    private final List<TensorSpec> outputs;

    LlamaProjStage(String name, NDArray weight, NDArray bias, boolean singleImage) {
        this.name = name;
        this.weight = weight;
        this.projection = LinearMap.of(weight, bias);
        this.singleImage = singleImage;
        long out = weight.getShape().get(0);
        this.inputs = inputs(weight.getShape().get(1), out);
        this.outputs = outputs(out);
    }

    /** The inputs for widths {@code D} and {@code H} ({@code -1}: unknown). */
    static List<TensorSpec> inputs(long in, long out) {
        return List.of(new TensorSpec(FEATURES, DataType.FLOAT32, new long[] {-1, -1, in}),
                new TensorSpec(VISION_TOKENS, DataType.FLOAT32, new long[] {-1, out}));
    }

    /** The outputs for width {@code H} ({@code -1}: unknown). */
    static List<TensorSpec> outputs(long out) {
        return List.of(new TensorSpec(IMAGE_TOKENS, DataType.FLOAT32, new long[] {-1, -1, out}),
                new TensorSpec(VISION_TOKENS, DataType.FLOAT32, new long[] {-1, out}));
    }

    @Override
    public List<TensorSpec> inputs() {
        return inputs;
    }

    @Override
    public List<TensorSpec> outputs() {
        return outputs;
    }

    @Override
    public Map<String, NDArray> run(Map<String, NDArray> in, RequestContext request) {
        NDArray features = in.get(FEATURES);
        NDArray given = in.get(VISION_TOKENS);
        if (features == null) {
            // no image in this request: tokens the caller computed (scene tokens, say) go on to the decoder as they are
            return given == null ? Map.of() : Map.of(VISION_TOKENS, given);
        }
        if (given != null) {
            throw new InvalidInputException("stage '" + name + "': give an image or vision_tokens, not both");
        }
        long images = features.getShape().get(0);
        if (singleImage && images != 1) {
            throw new InvalidInputException("stage '" + name + "': one image per request, got " + images);
        }
        NDArray tokens = projection.apply(features);
        tokens.attach(request.manager());
        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put(IMAGE_TOKENS, tokens);
        out.put(VISION_TOKENS, tokens.reshape(images * tokens.getShape().get(1), weight.getShape().get(0)));
        return out;
    }

    /** Nothing: the features come from the tower, and caller-given tokens are not this stage's to invent. */
    @Override
    public Map<String, NDArray> warmUpInputs(NDManager manager) {
        return Map.of();
    }
}
