package io.moxie.encoders.image;

/**
 * The two outputs of an image preprocessor, named as in the golden cases' {@code expected.npz}.
 *
 * @param pixelUint8  the image the vision tower sees, before normalisation: {@code [S, S, 3]} uint8 HWC
 *                    (the ground truth a port must reproduce byte for byte)
 * @param pixelValues the tower input: float32 {@code [3, S, S]} CHW; the array belongs to the caller, nothing else
 *                    keeps a reference to it
 */
public record PreprocessedImage(RgbImage pixelUint8, float[] pixelValues) {
    public PreprocessedImage {
        if (pixelValues.length != 3 * pixelUint8.width() * pixelUint8.height()) {
            throw new IllegalArgumentException("pixel_values has " + pixelValues.length + " values for a "
                    + pixelUint8 + " image");
        }
    }

    public int height() {
        return pixelUint8.height();
    }

    public int width() {
        return pixelUint8.width();
    }
}
