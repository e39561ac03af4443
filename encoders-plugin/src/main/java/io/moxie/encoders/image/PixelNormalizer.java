package io.moxie.encoders.image;

import java.util.Arrays;

/**
 * uint8 RGB to normalised float32 CHW, with the exact float operations of the Python pipelines: first
 * {@code x = rescale(u8)} (see the two factories, they differ in the last bit), then {@code (x - mean[c]) / std[c]}
 * in float32, {@code mean} and {@code std} rounded to float32 first as {@code np.float32} / {@code torch.float32} do.
 *
 * <p>Every output value depends only on the channel and the byte, so the whole map is a 3 x 256 table computed
 * once; converting an image is then a lookup. Immutable and thread-safe.
 */
public final class PixelNormalizer {
    private final float[] table = new float[3 * 256];

    private PixelNormalizer(float[] rescaled, double[] mean, double[] std) {
        double[] m = checkedMean(mean);
        double[] s = checkedStd(std);
        for (int c = 0; c < 3; c++) {
            float mf = (float) m[c];
            float sf = (float) s[c];
            for (int v = 0; v < 256; v++) {
                table[c * 256 + v] = (rescaled[v] - mf) / sf;
            }
        }
    }

    /**
     * Hugging Face {@code CLIPImageProcessor} (CuMo): {@code x = float32(float64(u8) * rescaleFactor)}, the product
     * taken in double and rounded once to float32.
     */
    public static PixelNormalizer rescaleInDouble(double rescaleFactor, double[] mean, double[] std) {
        if (!(rescaleFactor > 0) || Double.isInfinite(rescaleFactor)) {
            throw new IllegalArgumentException("rescale_factor must be positive and finite, got " + rescaleFactor);
        }
        float[] x = new float[256];
        for (int v = 0; v < 256; v++) {
            x[v] = (float) (v * rescaleFactor);
        }
        return new PixelNormalizer(x, mean, std);
    }

    /** torchvision {@code ToTensor} (Octavius): {@code x = float32(u8) / divisor}, a float32 division. */
    public static PixelNormalizer divideInFloat(float divisor, double[] mean, double[] std) {
        if (!(divisor > 0) || Float.isInfinite(divisor)) {
            throw new IllegalArgumentException("divisor must be positive and finite, got " + divisor);
        }
        float[] x = new float[256];
        for (int v = 0; v < 256; v++) {
            x[v] = (float) v / divisor;
        }
        return new PixelNormalizer(x, mean, std);
    }

    /** The normalised value of byte {@code u8} (0..255) in {@code channel} (0 red, 1 green, 2 blue). */
    public float value(int channel, int u8) {
        return table[channel * 256 + u8];
    }

    /**
     * @return a new array {@code [3, height, width]} (channel planes, rows, columns), owned by the caller
     */
    public float[] toChw(RgbImage image) {
        byte[] rgb = image.buffer();
        int plane = image.width() * image.height();
        float[] out = new float[3 * plane];
        for (int i = 0, p = 0; i < plane; i++, p += 3) {
            out[i] = table[rgb[p] & 0xFF];
            out[plane + i] = table[256 + (rgb[p + 1] & 0xFF)];
            out[2 * plane + i] = table[512 + (rgb[p + 2] & 0xFF)];
        }
        return out;
    }

    /** A copy of {@code image_mean}, refused unless it has three finite values. */
    static double[] checkedMean(double[] mean) {
        return checkedTriple("image_mean", mean, false);
    }

    /** A copy of {@code image_std}, refused unless it has three positive finite values. */
    static double[] checkedStd(double[] std) {
        return checkedTriple("image_std", std, true);
    }

    private static double[] checkedTriple(String name, double[] values, boolean positive) {
        if (values == null || values.length != 3) {
            throw new IllegalArgumentException(name + " needs 3 values (R, G, B)");
        }
        for (double v : values) {
            if (!Double.isFinite(v) || (positive && !(v > 0))) {
                throw new IllegalArgumentException(name + " must be " + (positive ? "positive and " : "")
                        + "finite, got " + Arrays.toString(values));
            }
        }
        return values.clone();
    }
}
