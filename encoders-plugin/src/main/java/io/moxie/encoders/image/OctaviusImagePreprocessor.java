package io.moxie.encoders.image;

import io.moxie.api.InvalidInputException;
import java.util.Arrays;

/**
 * Octavius (LAMM) 2D image preprocessing (README-octavius2d.md §2): Pillow bicubic resize straight to
 * {@code imageSize x imageSize} (the aspect ratio is not kept; no padding, no crop), then torchvision's
 * {@code ToTensor} ({@code float32(u8) / 255}, a float32 division) and {@code Normalize} ({@code (x - mean) / std}
 * in float32).
 *
 * <p>Output: {@code pixel_uint8} {@code [S, S, 3]} and {@code pixel_values} {@code [3, S, S]}, {@code S = imageSize}.
 * Immutable and thread-safe.
 */
public final class OctaviusImagePreprocessor {
    private final Options options;
    private final PixelNormalizer normalizer;

    public OctaviusImagePreprocessor(Options options) {
        this.options = options;
        this.normalizer = PixelNormalizer.divideInFloat(255f, options.imageMean, options.imageStd);
    }

    public Options options() {
        return options;
    }

    /**
     * Decodes a PNG or JPEG ({@link ImageDecoder}) and preprocesses it.
     *
     * @throws InvalidInputException if the bytes are not a decodable PNG or JPEG
     */
    public PreprocessedImage preprocess(byte[] encoded) {
        return preprocess(ImageDecoder.decode(encoded));
    }

    /** Preprocesses an already decoded image; any size works. */
    public PreprocessedImage preprocess(RgbImage image) {
        RgbImage resized = PillowResize.resize(image, options.imageSize, options.imageSize);
        return new PreprocessedImage(resized, normalizer.toChw(resized));
    }

    /**
     * The settings, named as in an Octavius config; validated when built, arrays copied in and out.
     *
     * @param imageSize side of the square the image is resized to, at least 1
     * @param imageMean three finite values
     * @param imageStd  three positive values
     */
    public record Options(int imageSize, double[] imageMean, double[] imageStd) {
        public Options {
            if (imageSize < 1) {
                throw new IllegalArgumentException("image_size must be at least 1, got " + imageSize);
            }
            imageMean = PixelNormalizer.checkedMean(imageMean);
            imageStd = PixelNormalizer.checkedStd(imageStd);
        }

        /** CLIP statistics (what LAMM uses) for a tower of side {@code imageSize}. */
        public static Options clip(int imageSize) {
            return new Options(imageSize, ClipStatistics.mean(), ClipStatistics.std());
        }

        @Override
        public double[] imageMean() {
            return imageMean.clone();
        }

        @Override
        public double[] imageStd() {
            return imageStd.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Options other && imageSize == other.imageSize
                    && Arrays.equals(imageMean, other.imageMean) && Arrays.equals(imageStd, other.imageStd);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * imageSize + Arrays.hashCode(imageMean)) + Arrays.hashCode(imageStd);
        }

        @Override
        public String toString() {
            return "OctaviusImagePreprocessor.Options[image_size=" + imageSize + ", image_mean="
                    + Arrays.toString(imageMean) + ", image_std=" + Arrays.toString(imageStd) + "]";
        }
    }
}
