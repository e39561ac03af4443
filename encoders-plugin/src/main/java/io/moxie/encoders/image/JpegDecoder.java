package io.moxie.encoders.image;

import io.moxie.api.InvalidInputException;
import java.awt.image.Raster;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * JPEG to RGB as PIL (libjpeg-turbo) does it. The JDK's decoder delivers the upsampled components through
 * {@code readRaster}, which never colour-converts or applies an ICC profile; the colour space is then chosen and
 * converted here with libjpeg's own rules and integer tables.
 *
 * <p>Which libjpeg decodes depends on the JDK build: Debian's OpenJDK links {@code libjavajpeg} to the system
 * libjpeg-turbo, the very library PIL uses; upstream builds (Temurin, Oracle) bundle IJG libjpeg 6b. Both use the islow
 * IDCT and the same fancy upsampling for 4:2:0 and 4:2:2; libjpeg-turbo also interpolates 4:4:0 (h1v2) chroma, which
 * 6b does not, so on a 6b-based JDK such files (measured: 94% of bytes, up to 65 levels) differ from PIL.
 */
final class JpegDecoder {
    private static final int SCALE_BITS = 16;
    private static final int ONE_HALF = 1 << (SCALE_BITS - 1);
    // libjpeg jdcolor.c build_ycc_rgb_table: indexed by the Cb or Cr byte.
    private static final int[] CR_R = new int[256];
    private static final int[] CB_B = new int[256];
    private static final int[] CR_G = new int[256];
    private static final int[] CB_G = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int x = i - 128;
            CR_R[i] = (fix(1.40200) * x + ONE_HALF) >> SCALE_BITS;
            CB_B[i] = (fix(1.77200) * x + ONE_HALF) >> SCALE_BITS;
            CR_G[i] = -fix(0.71414) * x;
            CB_G[i] = -fix(0.34414) * x + ONE_HALF;
        }
    }

    private JpegDecoder() {
    }

    private static int fix(double x) {
        return (int) (x * (1L << SCALE_BITS) + 0.5);
    }

    static boolean hasSignature(byte[] data) {
        return data.length >= 2 && data[0] == (byte) 0xFF && data[1] == (byte) 0xD8;
    }

    static RgbImage decode(byte[] data, long maxPixels) {
        JpegHeader header = JpegHeader.read(data);
        header.checkSupported();
        ImageDecoder.checkSize(header.width(), header.height(), maxPixels);
        Raster raster = readRaster(data);
        if (raster.getWidth() != header.width() || raster.getHeight() != header.height()
                || raster.getNumBands() != header.components()) {
            throw new IllegalStateException("ImageIO returned a " + raster.getWidth() + "x" + raster.getHeight() + "x"
                    + raster.getNumBands() + " raster for " + header);
        }
        return header.components() == 1 ? fromGrey(raster) : fromColour(raster, header.isYCbCr());
    }

    private static Raster readRaster(byte[] data) {
        ImageReader reader = JdkImageIo.reader("jpeg");
        List<String> warnings = new ArrayList<>();
        reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
        Raster raster;
        try (ImageInputStream in = JdkImageIo.stream(data)) {
            reader.setInput(in, true, true);
            raster = reader.readRaster(0, null);
        } catch (IOException | RuntimeException e) {
            throw JdkImageIo.failure("JPEG", e);
        } finally {
            reader.dispose();
        }
        // libjpeg pads a truncated stream with grey and only warns; PIL refuses it ("image file is truncated").
        // Other warnings (corrupt data that still decodes) PIL ignores, and so do we.
        for (String w : warnings) {
            String lower = w.toLowerCase(Locale.ROOT);
            if (lower.contains("missing eoi") || lower.contains("premature end of jpeg file")) {
                throw new InvalidInputException("truncated image");
            }
        }
        return raster;
    }

    private static RgbImage fromGrey(Raster raster) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        byte[] out = new byte[3 * w * h];
        int[] row = new int[w];
        for (int y = 0, o = 0; y < h; y++) {
            raster.getSamples(0, y, w, 1, 0, row);
            for (int x = 0; x < w; x++) {
                byte g = (byte) row[x];
                out[o++] = g;
                out[o++] = g;
                out[o++] = g;
            }
        }
        return RgbImage.wrap(w, h, out);
    }

    private static RgbImage fromColour(Raster raster, boolean yCbCr) {
        int w = raster.getWidth();
        int h = raster.getHeight();
        byte[] out = new byte[3 * w * h];
        int[] row = new int[3 * w];
        for (int y = 0, o = 0; y < h; y++) {
            raster.getPixels(0, y, w, 1, row);
            for (int p = 0; p < row.length; p += 3) {
                int c0 = row[p];
                int c1 = row[p + 1];
                int c2 = row[p + 2];
                if (yCbCr) {
                    out[o++] = clamp(c0 + CR_R[c2]);
                    out[o++] = clamp(c0 + ((CB_G[c1] + CR_G[c2]) >> SCALE_BITS));
                    out[o++] = clamp(c0 + CB_B[c1]);
                } else {
                    out[o++] = (byte) c0;
                    out[o++] = (byte) c1;
                    out[o++] = (byte) c2;
                }
            }
        }
        return RgbImage.wrap(w, h, out);
    }

    private static byte clamp(int v) {
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }
}
