package io.moxie.encoders.image;

import io.moxie.api.InvalidInputException;
import java.awt.image.Raster;
import java.io.IOException;
import java.util.Arrays;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * PNG to RGB as Pillow 9.4's {@code Image.open(f).convert('RGB')} does it. ImageIO only inflates and unfilters: the
 * raster is read in the file's own sample format and every conversion to 8-bit RGB is done here, so no colour model,
 * gamma or ICC profile gets a say.
 */
final class PngDecoder {
    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    private static final int GREY = 0;
    private static final int RGB = 2;
    private static final int PALETTE = 3;
    private static final int GREY_ALPHA = 4;
    private static final int RGB_ALPHA = 6;

    private PngDecoder() {
    }

    static boolean hasSignature(byte[] data) {
        return data.length >= SIGNATURE.length && Arrays.equals(data, 0, SIGNATURE.length, SIGNATURE, 0,
                SIGNATURE.length);
    }

    static RgbImage decode(byte[] data, long maxPixels) {
        Header header = Header.read(data);
        ImageDecoder.checkSize(header.width, header.height, maxPixels);
        return toRgb(readRaster(data), header);
    }

    private static Raster readRaster(byte[] data) {
        ImageReader reader = JdkImageIo.reader("png");
        try (ImageInputStream in = JdkImageIo.stream(data)) {
            reader.setInput(in, true, true);
            ImageReadParam param = reader.getDefaultReadParam();
            // The raw type keeps the stored samples; the default one would turn a tRNS colour key into an alpha band
            // and rescale 1/2/4-bit grey.
            param.setDestinationType(reader.getRawImageType(0));
            return reader.read(0, param).getRaster();
        } catch (IOException | RuntimeException e) {
            throw JdkImageIo.failure("PNG", e);
        } finally {
            reader.dispose();
        }
    }

    private static RgbImage toRgb(Raster raster, Header header) {
        int w = header.width;
        int h = header.height;
        int bands = header.colorType == GREY || header.colorType == PALETTE ? 1
                : header.colorType == GREY_ALPHA ? 2 : header.colorType == RGB ? 3 : 4;
        if (raster.getWidth() != w || raster.getHeight() != h || raster.getNumBands() != bands) {
            throw new IllegalStateException("ImageIO returned a " + raster.getWidth() + "x" + raster.getHeight() + "x"
                    + raster.getNumBands() + " raster for a " + header);
        }
        byte[] out = new byte[3 * w * h];
        int[] row = new int[w * bands];
        int[] level = header.colorType == PALETTE ? null : levels(header.colorType, header.bitDepth);
        int[] palette = header.colorType == PALETTE ? header.paletteRgb() : null;
        boolean grey = header.colorType == GREY || header.colorType == GREY_ALPHA;
        int o = 0;
        for (int y = 0; y < h; y++) {
            raster.getPixels(0, y, w, 1, row);
            for (int x = 0, p = 0; x < w; x++, p += bands) {
                if (palette != null) {
                    int rgb = palette[row[p]];
                    out[o++] = (byte) (rgb >> 16);
                    out[o++] = (byte) (rgb >> 8);
                    out[o++] = (byte) rgb;
                } else if (grey) {
                    byte g = (byte) level[row[p]];
                    out[o++] = g;
                    out[o++] = g;
                    out[o++] = g;
                } else {
                    out[o++] = (byte) level[row[p]];
                    out[o++] = (byte) level[row[p + 1]];
                    out[o++] = (byte) level[row[p + 2]];
                }
            }
        }
        return RgbImage.wrap(w, h, out);
    }

    /** Stored sample to 8-bit value, per Pillow's raw modes and {@code convert('RGB')}. */
    private static int[] levels(int colorType, int bitDepth) {
        int max = (1 << bitDepth) - 1;
        int[] level = new int[max + 1];
        for (int v = 0; v <= max; v++) {
            if (bitDepth < 8) {
                level[v] = v * 255 / max; // "L;1/2/4" (and mode "1"): 0..max spread exactly onto 0..255
            } else if (bitDepth == 8) {
                level[v] = v;
            } else if (colorType == GREY) {
                level[v] = Math.min(v, 255); // opens as mode "I"; I -> RGB clips
            } else {
                level[v] = v >> 8; // "RGB;16B", "RGBA;16B", "LA;16B": the high byte
            }
        }
        return level;
    }

    /** The IHDR fields and the first PLTE, read by walking the chunks up to the first IDAT. */
    private static final class Header {
        final int width;
        final int height;
        final int bitDepth;
        final int colorType;
        final byte[] plte;

        private Header(int width, int height, int bitDepth, int colorType, byte[] plte) {
            this.width = width;
            this.height = height;
            this.bitDepth = bitDepth;
            this.colorType = colorType;
            this.plte = plte;
        }

        static Header read(byte[] d) {
            int pos = SIGNATURE.length;
            if (d.length < pos + 8 + 13) {
                throw new InvalidInputException("truncated image");
            }
            if (readInt(d, pos) != 13 || readInt(d, pos + 4) != 0x49484452) {
                throw new InvalidInputException("corrupt PNG image: IHDR chunk missing");
            }
            long width = readInt(d, pos + 8) & 0xFFFFFFFFL;
            long height = readInt(d, pos + 12) & 0xFFFFFFFFL;
            int bitDepth = d[pos + 16] & 0xFF;
            int colorType = d[pos + 17] & 0xFF;
            if (width > Integer.MAX_VALUE || height > Integer.MAX_VALUE) {
                throw new InvalidInputException("corrupt PNG image: size " + width + "x" + height);
            }
            if (!validDepth(colorType, bitDepth)) {
                throw new InvalidInputException("corrupt PNG image: bit depth " + bitDepth + " with colour type "
                        + colorType);
            }
            byte[] plte = null;
            pos += 8 + 13 + 4;
            while (true) {
                if (pos + 8 > d.length) {
                    throw new InvalidInputException("truncated image");
                }
                long length = readInt(d, pos) & 0xFFFFFFFFL;
                int type = readInt(d, pos + 4);
                if (type == 0x49444154) { // IDAT
                    break;
                }
                if (pos + 12 + length > d.length) {
                    throw new InvalidInputException("truncated image");
                }
                if (type == 0x504C5445 && plte == null) { // PLTE
                    plte = Arrays.copyOfRange(d, pos + 8, pos + 8 + (int) length);
                }
                pos += 12 + (int) length;
            }
            if (colorType == PALETTE && (plte == null || plte.length < 3)) {
                throw new InvalidInputException("corrupt PNG image: palette image without a PLTE chunk");
            }
            return new Header((int) width, (int) height, bitDepth, colorType, plte);
        }

        private static boolean validDepth(int colorType, int bitDepth) {
            switch (colorType) {
                case GREY:
                    return bitDepth == 1 || bitDepth == 2 || bitDepth == 4 || bitDepth == 8 || bitDepth == 16;
                case PALETTE:
                    return bitDepth == 1 || bitDepth == 2 || bitDepth == 4 || bitDepth == 8;
                case RGB:
                case GREY_ALPHA:
                case RGB_ALPHA:
                    return bitDepth == 8 || bitDepth == 16;
                default:
                    return false;
            }
        }

        /** 256 packed {@code 0xRRGGBB} entries: the PLTE colours, then Pillow's initial grey ramp. */
        int[] paletteRgb() {
            int[] lut = new int[256];
            int entries = Math.min(plte.length / 3, 256);
            for (int i = 0; i < 256; i++) {
                lut[i] = i < entries
                        ? (plte[3 * i] & 0xFF) << 16 | (plte[3 * i + 1] & 0xFF) << 8 | (plte[3 * i + 2] & 0xFF)
                        : i << 16 | i << 8 | i;
            }
            return lut;
        }

        private static int readInt(byte[] d, int pos) {
            return (d[pos] & 0xFF) << 24 | (d[pos + 1] & 0xFF) << 16 | (d[pos + 2] & 0xFF) << 8 | (d[pos + 3] & 0xFF);
        }

        @Override
        public String toString() {
            return "PNG " + width + "x" + height + " colour type " + colorType + " depth " + bitDepth;
        }
    }
}
