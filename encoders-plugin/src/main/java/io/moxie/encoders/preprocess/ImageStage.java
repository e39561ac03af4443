package io.moxie.encoders.preprocess;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.InvalidInputException;
import io.moxie.api.RequestContext;
import io.moxie.api.Stage;
import io.moxie.api.TensorSpec;
import io.moxie.encoders.image.PreprocessedImage;
import java.nio.ByteBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The image-preprocessing stage shared by CuMo and Octavius: an encoded image ({@code image}, uint8 bytes of a PNG
 * or JPEG file) becomes {@code pixel_values} {@code [1, 3, S, S]} float32 and {@code pixel_uint8}
 * {@code [1, S, S, 3]} (and the same pixel values again as {@code image_pixel_values}, an output only image
 * requests have, so a pipeline can return them without echoing a caller's own tensor); a request that already
 * carries {@code pixel_values} {@code [B, 3, S, S]} passes through.
 * The two models differ only in the geometry of the preprocessing function given.
 */
final class ImageStage implements Stage {
    private final int size;
    private final Function<byte[], PreprocessedImage> preprocess;
    private final boolean inputOptional;

    /** @param inputOptional whether a request with neither input is served (no outputs) rather than refused */
    ImageStage(int size, Function<byte[], PreprocessedImage> preprocess, boolean inputOptional) {
        this.size = size;
        this.preprocess = preprocess;
        this.inputOptional = inputOptional;
    }

    /** The ports, for a stage whose model lacks the image part ({@link io.moxie.encoders.impl.AbsentPartStage}). */
    static List<TensorSpec> inputs(long size) {
        return List.of(new TensorSpec("image", DataType.UINT8, new long[] {-1}),
                new TensorSpec("pixel_values", DataType.FLOAT32, new long[] {-1, 3, size, size}));
    }

    static List<TensorSpec> outputs(long size) {
        return List.of(new TensorSpec("pixel_values", DataType.FLOAT32, new long[] {-1, 3, size, size}),
                new TensorSpec("image_pixel_values", DataType.FLOAT32, new long[] {1, 3, size, size}),
                new TensorSpec("pixel_uint8", DataType.UINT8, new long[] {1, size, size, 3}));
    }

    @Override
    public List<TensorSpec> inputs() {
        return inputs(size);
    }

    @Override
    public List<TensorSpec> outputs() {
        return outputs(size);
    }

    @Override
    public Map<String, NDArray> run(Map<String, NDArray> inputs, RequestContext request) {
        NDArray image = inputs.get("image");
        NDArray pixels = inputs.get("pixel_values");
        if (image != null && pixels != null) {
            throw new InvalidInputException("give either 'image' or 'pixel_values', not both");
        }
        if (image == null) {
            if (pixels == null && inputOptional) {
                return Map.of(); // a request of the pipeline that does not use this branch (a chat without an image)
            }
            if (pixels == null) {
                throw new InvalidInputException("missing input: 'image' (PNG or JPEG bytes) or 'pixel_values' [B, 3, "
                        + size + ", " + size + "]");
            }
            return Map.of("pixel_values", pixels);
        }
        PreprocessedImage p = preprocess.apply(image.toByteArray());
        NDManager m = request.manager();
        Map<String, NDArray> out = new LinkedHashMap<>();
        NDArray values = m.create(p.pixelValues(), new Shape(1, 3, size, size));
        out.put("pixel_values", values);
        out.put("image_pixel_values", values);
        byte[] rgb = p.pixelUint8().toByteArray();
        ByteBuffer direct = m.allocateDirect(rgb.length);
        direct.put(rgb).rewind();
        out.put("pixel_uint8", m.create(direct, new Shape(1, size, size, 3), DataType.UINT8));
        return out;
    }

    @Override
    public Map<String, NDArray> warmUpInputs(NDManager manager) {
        return Map.of("pixel_values", manager.zeros(new Shape(1, 3, size, size)));
    }
}
