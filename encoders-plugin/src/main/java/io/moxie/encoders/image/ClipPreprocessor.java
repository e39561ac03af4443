package io.moxie.encoders.image;

import io.moxie.api.InvalidInputException;
import java.util.Arrays;
import java.util.Locale;

/**
 * CuMo's image preprocessing (reference README §5): CuMo {@code process_images} with
 * {@code image_aspect_ratio 'pad'}, then Hugging Face {@code CLIPImageProcessor.preprocess}.
 *
 * <ol>
 *   <li>{@link AspectRatio#PAD}: a non-square image is centred on a {@code max(w,h)} square filled with the mean
 *       colour {@code int(m * 255)} per channel (truncated: (122, 116, 104) for CLIP), at {@code (0, (w-h)//2)} when
 *       wide or {@code ((h-w)//2, 0)} when tall;</li>
 *   <li>Pillow bicubic resize ({@link PillowResize}) so the short edge is {@code shortestEdge}; the long edge is
 *       {@code int(shortestEdge * long / short)};</li>
 *   <li>centre crop to {@code cropSize}, {@code top = (h - crop)//2}, {@code left = (w - crop)//2};</li>
 *   <li>{@code float32(float64(u8) * rescaleFactor)}, then {@code (x - mean) / std} in float32, HWC to CHW.</li>
 * </ol>
 * Output: {@code pixel_uint8} {@code [crop, crop, 3]} and {@code pixel_values} {@code [3, crop, crop]}. Immutable and
 * thread-safe.
 */
public final class ClipPreprocessor {
    private final Options options;
    private final PixelNormalizer normalizer;
    private final int[] padColour = new int[3];

    public ClipPreprocessor(Options options) {
        this.options = options;
        this.normalizer = PixelNormalizer.rescaleInDouble(options.rescaleFactor, options.imageMean, options.imageStd);
        for (int c = 0; c < 3; c++) {
            padColour[c] = (int) (options.imageMean[c] * 255); // Python int(): truncation, not rounding
        }
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
        if (options.aspectRatio == AspectRatio.PAD) {
            image = expandToSquare(image);
        }
        int w = image.width();
        int h = image.height();
        int shortSide = Math.min(w, h);
        int longSide = Math.max(w, h);
        int se = options.shortestEdge;
        // Python: int(se * long / short), a correctly rounded double quotient of exact integers, then truncated.
        int newLong = (int) ((double) ((long) se * longSide) / shortSide);
        int newW = w <= h ? se : newLong;
        int newH = w <= h ? newLong : se;
        RgbImage resized = PillowResize.resize(image, newW, newH);
        int crop = options.cropSize;
        RgbImage cropped = resized.crop((newW - crop) / 2, (newH - crop) / 2, crop, crop);
        return new PreprocessedImage(cropped, normalizer.toChw(cropped));
    }

    RgbImage expandToSquare(RgbImage image) {
        int w = image.width();
        int h = image.height();
        if (w == h) {
            return image;
        }
        int side = Math.max(w, h);
        return w > h
                ? image.placedOn(side, side, 0, (w - h) / 2, padColour[0], padColour[1], padColour[2])
                : image.placedOn(side, side, (h - w) / 2, 0, padColour[0], padColour[1], padColour[2]);
    }

    /** CuMo's {@code image_aspect_ratio}. */
    public enum AspectRatio {
        /** {@code 'pad'}: centre the image on a square of the mean colour first (CuMo's setting). */
        PAD,
        /** {@code 'square'} (or anything else in LLaVA): no padding; the centre crop cuts the long side. */
        SQUARE;

        /** {@code "pad"} or {@code "square"}, as in a CuMo config. */
        public static AspectRatio fromConfig(String value) {
            try {
                return valueOf(value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("image_aspect_ratio must be 'pad' or 'square', got '" + value + "'");
            }
        }
    }

    /**
     * The preprocessing settings, with the names of the CuMo / {@code CLIPImageProcessor} config. Validated when
     * built ({@link IllegalArgumentException} naming the field); the arrays are copied in and out.
     *
     * @param imageMean     three values in [0, 1] (also the padding colour)
     * @param imageStd      three positive values
     * @param shortestEdge  target short edge of the resize, at least 1
     * @param cropSize      side of the centre crop, 1..shortestEdge
     * @param rescaleFactor {@code 1/255} in CLIP
     * @param aspectRatio   {@code pad} or {@code square}
     */
    public record Options(double[] imageMean, double[] imageStd, int shortestEdge, int cropSize,
                          double rescaleFactor, AspectRatio aspectRatio) {
        public Options {
            imageMean = PixelNormalizer.checkedMean(imageMean);
            imageStd = PixelNormalizer.checkedStd(imageStd);
            for (double m : imageMean) {
                if (m < 0 || m > 1) {
                    throw new IllegalArgumentException("image_mean must lie in [0, 1] (it is the padding colour), got "
                            + Arrays.toString(imageMean));
                }
            }
            if (shortestEdge < 1) {
                throw new IllegalArgumentException("shortest_edge must be at least 1, got " + shortestEdge);
            }
            if (cropSize < 1 || cropSize > shortestEdge) {
                throw new IllegalArgumentException("crop_size must be 1.." + shortestEdge + " (shortest_edge), got "
                        + cropSize);
            }
            if (!(rescaleFactor > 0) || Double.isInfinite(rescaleFactor)) {
                throw new IllegalArgumentException("rescale_factor must be positive and finite, got " + rescaleFactor);
            }
            if (aspectRatio == null) {
                throw new IllegalArgumentException("image_aspect_ratio is required");
            }
        }

        /** CuMo's setting for a tower of side {@code imageSize}: CLIP statistics, 1/255, pad, no extra crop. */
        public static Options cumo(int imageSize) {
            return new Options(ClipStatistics.mean(), ClipStatistics.std(), imageSize, imageSize, 1.0 / 255.0,
                    AspectRatio.PAD);
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
            return o instanceof Options other && Arrays.equals(imageMean, other.imageMean)
                    && Arrays.equals(imageStd, other.imageStd) && shortestEdge == other.shortestEdge
                    && cropSize == other.cropSize && Double.compare(rescaleFactor, other.rescaleFactor) == 0
                    && aspectRatio == other.aspectRatio;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(new Object[] {Arrays.hashCode(imageMean), Arrays.hashCode(imageStd), shortestEdge,
                    cropSize, rescaleFactor, aspectRatio});
        }

        @Override
        public String toString() {
            return "ClipPreprocessor.Options[image_mean=" + Arrays.toString(imageMean) + ", image_std="
                    + Arrays.toString(imageStd) + ", shortest_edge=" + shortestEdge + ", crop_size=" + cropSize
                    + ", rescale_factor=" + rescaleFactor + ", image_aspect_ratio="
                    + aspectRatio.name().toLowerCase(Locale.ROOT) + "]";
        }
    }
}
