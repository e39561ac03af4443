package io.moxie.encoders.image;

import java.util.Arrays;

/**
 * An 8-bit RGB picture: {@code height} rows of {@code width} pixels, stored row-major as interleaved
 * {@code R, G, B} bytes (layout HWC, shape {@code [height, width, 3]}, unsigned values 0..255), like a NumPy
 * {@code uint8} array of {@code np.array(pil_image)}.
 *
 * <p>Immutable: the public constructor copies the bytes and {@link #toByteArray()} returns a copy, so an instance
 * can be shared between threads. Both sizes are at least 1; a bad size or buffer length is a programming error
 * ({@link IllegalArgumentException}).
 */
public final class RgbImage {
    private final int width;
    private final int height;
    private final byte[] rgb;

    /**
     * @param width  pixels per row, at least 1
     * @param height rows, at least 1
     * @param rgb    {@code width * height * 3} bytes, HWC; copied
     */
    public RgbImage(int width, int height, byte[] rgb) {
        this(width, height, rgb, false);
    }

    private RgbImage(int width, int height, byte[] rgb, boolean owned) {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("image size must be at least 1x1, got " + width + "x" + height);
        }
        long expected = 3L * width * height;
        if (rgb.length != expected) {
            throw new IllegalArgumentException(
                    "a " + width + "x" + height + " RGB image needs " + expected + " bytes, got " + rgb.length);
        }
        this.width = width;
        this.height = height;
        this.rgb = owned ? rgb : rgb.clone();
    }

    /** Takes ownership of {@code rgb} without copying: for code in this package that never touches it again. */
    static RgbImage wrap(int width, int height, byte[] rgb) {
        return new RgbImage(width, height, rgb, true);
    }

    /** A {@code width x height} image of one colour; each component 0..255. */
    public static RgbImage filled(int width, int height, int red, int green, int blue) {
        for (int v : new int[] {red, green, blue}) {
            if (v < 0 || v > 255) {
                throw new IllegalArgumentException("colour components must be 0..255, got " + v);
            }
        }
        if (width < 1 || height < 1 || 3L * width * height > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("bad image size " + width + "x" + height);
        }
        byte[] rgb = new byte[3 * width * height];
        for (int i = 0; i < rgb.length; i += 3) {
            rgb[i] = (byte) red;
            rgb[i + 1] = (byte) green;
            rgb[i + 2] = (byte) blue;
        }
        return wrap(width, height, rgb);
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** The value 0..255 of {@code channel} (0 red, 1 green, 2 blue) at column {@code x}, row {@code y}. */
    public int sample(int x, int y, int channel) {
        if (x < 0 || x >= width || y < 0 || y >= height || channel < 0 || channel > 2) {
            throw new IndexOutOfBoundsException("(" + x + ", " + y + ", " + channel + ") outside " + this);
        }
        return rgb[(y * width + x) * 3 + channel] & 0xFF;
    }

    /** A copy of the pixels, {@code [height, width, 3]} HWC. */
    public byte[] toByteArray() {
        return rgb.clone();
    }

    /** The pixels without a copy, for code in this package that only reads them. */
    byte[] buffer() {
        return rgb;
    }

    /** The {@code cropWidth x cropHeight} window whose top-left pixel is ({@code left}, {@code top}). */
    public RgbImage crop(int left, int top, int cropWidth, int cropHeight) {
        if (left < 0 || top < 0 || cropWidth < 1 || cropHeight < 1
                || (long) left + cropWidth > width || (long) top + cropHeight > height) {
            throw new IllegalArgumentException("crop " + cropWidth + "x" + cropHeight + " at (" + left + ", " + top
                    + ") does not fit in " + this);
        }
        byte[] out = new byte[3 * cropWidth * cropHeight];
        for (int y = 0; y < cropHeight; y++) {
            System.arraycopy(rgb, ((top + y) * width + left) * 3, out, y * cropWidth * 3, cropWidth * 3);
        }
        return wrap(cropWidth, cropHeight, out);
    }

    /**
     * This image drawn over a {@code canvasWidth x canvasHeight} canvas of one colour, its top-left pixel at
     * ({@code left}, {@code top}); like PIL's {@code Image.new(...)} then {@code paste(img, (left, top))}.
     */
    public RgbImage placedOn(int canvasWidth, int canvasHeight, int left, int top, int red, int green, int blue) {
        if (left < 0 || top < 0 || (long) left + width > canvasWidth || (long) top + height > canvasHeight) {
            throw new IllegalArgumentException(this + " at (" + left + ", " + top + ") does not fit on a "
                    + canvasWidth + "x" + canvasHeight + " canvas");
        }
        RgbImage canvas = filled(canvasWidth, canvasHeight, red, green, blue);
        for (int y = 0; y < height; y++) {
            System.arraycopy(rgb, y * width * 3, canvas.rgb, ((top + y) * canvasWidth + left) * 3, width * 3);
        }
        return canvas;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RgbImage other
                && other.width == width && other.height == height && Arrays.equals(other.rgb, rgb);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * width + height) + Arrays.hashCode(rgb);
    }

    @Override
    public String toString() {
        return "RgbImage[" + width + "x" + height + "]";
    }
}
