package io.moxie.encoders.image;

import io.moxie.api.InvalidInputException;

/**
 * PNG or JPEG bytes to {@link RgbImage}, giving the pixels of PIL's {@code Image.open(f).convert('RGB')} (Pillow
 * 9.4, the version the reference runs), the first step of both image preprocessors.
 *
 * <ul>
 *   <li>PNG, every colour type and bit depth, interlaced or not, byte-exact: greyscale is replicated (1/2/4-bit
 *       levels scaled to 0..255; 16-bit grey opens in PIL as mode {@code I}, whose RGB conversion clips at 255), a
 *       palette is looked up (indices past the {@code PLTE} entries give PIL's initial grey ramp {@code (i, i, i)}),
 *       alpha and {@code tRNS} are dropped (not composited), other 16-bit samples keep their high byte.</li>
 *   <li>JPEG, baseline or progressive, 8-bit greyscale or three-component (YCbCr, or RGB when libjpeg would say
 *       so): decoded by the JDK's libjpeg (islow IDCT, fancy upsampling) and converted with libjpeg's integer YCbCr
 *       tables. Byte-exact with PIL on every file tried (4:2:0, 4:2:2, 4:4:4, 4:1:1, 4:4:0, progressive) when the JDK
 *       uses the system libjpeg-turbo, as Debian's OpenJDK does; a JDK bundling IJG 6b differs on 4:4:0 files only.
 *       CMYK/YCCK, 12-bit and arithmetic-coded JPEGs are refused.</li>
 *   <li>No colour management anywhere: embedded ICC profiles, gamma and EXIF orientation are ignored, as in PIL.</li>
 * </ul>
 *
 * <p>Bad input is an {@link InvalidInputException} with a one-line message ("not a PNG or JPEG image",
 * "truncated image", "zero-sized image", "image too large ...", "corrupt PNG image: ...", ...). Images with more
 * than {@link #DEFAULT_MAX_PIXELS} pixels are refused before any pixel memory is allocated. Stateless and
 * thread-safe; each call uses its own ImageIO reader, always the JDK's own PNG/JPEG plugin, never one a third party
 * registered.
 */
public final class ImageDecoder {
    /** Pillow's {@code DecompressionBombError} threshold, {@code 2 * Image.MAX_IMAGE_PIXELS}. */
    public static final long DEFAULT_MAX_PIXELS = 2L * 89_478_485;

    private ImageDecoder() {
    }

    /** Decodes with the {@link #DEFAULT_MAX_PIXELS} limit. */
    public static RgbImage decode(byte[] encoded) {
        return decode(encoded, DEFAULT_MAX_PIXELS);
    }

    /**
     * @param encoded   the whole file
     * @param maxPixels largest {@code width * height} accepted
     * @throws InvalidInputException if the bytes are not a decodable PNG or JPEG, or the image is too large
     */
    public static RgbImage decode(byte[] encoded, long maxPixels) {
        if (encoded == null || encoded.length == 0) {
            throw new InvalidInputException("empty image: zero bytes");
        }
        if (PngDecoder.hasSignature(encoded)) {
            return PngDecoder.decode(encoded, maxPixels);
        }
        if (JpegDecoder.hasSignature(encoded)) {
            return JpegDecoder.decode(encoded, maxPixels);
        }
        throw new InvalidInputException("not a PNG or JPEG image");
    }

    static void checkSize(long width, long height, long maxPixels) {
        if (width == 0 || height == 0) {
            throw new InvalidInputException("zero-sized image: " + width + "x" + height);
        }
        // Also keeps 3 * width * height within a Java array.
        if (width * height > Math.min(maxPixels, Integer.MAX_VALUE / 3)) {
            throw new InvalidInputException("image too large: " + width + "x" + height + " pixels, the limit is "
                    + Math.min(maxPixels, Integer.MAX_VALUE / 3));
        }
    }
}
