package io.moxie.encoders.s2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.core.Linear;
import io.moxie.api.InvalidInputException;
import io.moxie.api.RequestContext;
import io.moxie.api.Stage;
import io.moxie.api.TensorSpec;
import io.moxie.encoders.impl.Inputs;
import java.util.List;
import java.util.Map;

/** Upscale and chessboard split (see {@link S2SplitStageFactory}); immutable, hence thread-safe. */
final class S2SplitStage implements Stage {
    static final String PIXEL_VALUES = "pixel_values";
    static final String CROPS = "crops";

    private final String name;
    private final Scales scales;
    private final int size;
    private final int channels;
    private final NDArray[] upsampling;

    /** @param upsampling per scale index, the {@code [s·S, S]} bicubic matrix (null for scale 1) */
    S2SplitStage(String name, Scales scales, int size, int channels, NDArray[] upsampling) {
        this.name = name;
        this.scales = scales;
        this.size = size;
        this.channels = channels;
        this.upsampling = upsampling.clone();
    }

    @Override
    public List<TensorSpec> inputs() {
        return List.of(new TensorSpec(PIXEL_VALUES, DataType.FLOAT32, new long[] {-1, channels, size, size}));
    }

    @Override
    public List<TensorSpec> outputs() {
        return List.of(new TensorSpec(CROPS, DataType.FLOAT32, new long[] {-1, channels, size, size}));
    }

    @Override
    public Map<String, NDArray> run(Map<String, NDArray> inputs, RequestContext request) {
        NDArray pixels = Inputs.require(inputs, PIXEL_VALUES, name);
        if (!inputs().get(0).accepts(pixels.getShape().getShape())) {
            throw new InvalidInputException("stage '" + name + "': input 'pixel_values' must be [B, " + channels + ", "
                    + size + ", " + size + "], got " + pixels.getShape());
        }
        if (scales.count() == 1) {
            return Map.of(CROPS, pixels); // no S²: the crops are the images themselves
        }
        long images = pixels.getShape().get(0);
        NDArray crops;
        try (NDManager scope = request.manager().newSubManager()) {
            pixels.tempAttach(scope);
            NDList parts = new NDList(pixels);
            for (int i = 1; i < scales.count(); i++) {
                int s = scales.get(i);
                NDArray big = upsample(pixels, upsampling[i]); // [B, C, s·S, s·S]
                parts.add(big.reshape(images, channels, s, size, s, size)
                        .transpose(2, 4, 0, 1, 3, 5) // (crop row i, crop column j, b, c, y, x): crop-major
                        .reshape(s * s * images, channels, size, size));
            }
            crops = NDArrays.concat(parts);
            crops.attach(request.manager());
        }
        return Map.of(CROPS, crops);
    }

    /** Separable bicubic upscale {@code M · X · Mᵀ} of the last two axes; the request's arrays come first. */
    private static NDArray upsample(NDArray pixels, NDArray matrix) {
        NDArray columns = Linear.linear(pixels, matrix).singletonOrThrow(); // [B, C, S, s·S]
        NDArray rows = Linear.linear(columns.transpose(0, 1, 3, 2), matrix).singletonOrThrow(); // [B, C, s·S(x), s·S(y)]
        return rows.transpose(0, 1, 3, 2);
    }
}
