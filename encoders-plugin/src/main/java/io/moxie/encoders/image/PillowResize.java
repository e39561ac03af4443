package io.moxie.encoders.image;

import java.util.Arrays;

/**
 * Pillow's bicubic resize, byte for byte: {@code img.resize((outW, outH), Image.BICUBIC, reducing_gap=None)} on an
 * RGB image, as Pillow's {@code libImaging/Resample.c} computes it on its 8-bit path (reference README §5).
 *
 * <ul>
 *   <li>kernel: cubic convolution with {@code a = -0.5}, support 2, widened by {@code in/out} when downscaling
 *       (antialiasing);</li>
 *   <li>per output sample, the taps are normalised to sum 1 in double and turned into 22-bit fixed point, rounded
 *       half away from zero;</li>
 *   <li>the horizontal pass runs first, then the vertical one; each rounds and clips to uint8, so the image in
 *       between is 8-bit too. A pass whose axis keeps its size is skipped; equal sizes give a copy.</li>
 * </ul>
 * Not PyTorch's or a textbook bicubic: those differ by up to several levels. Stateless and thread-safe.
 */
public final class PillowResize {
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final double BICUBIC_A = -0.5;
    private static final double BICUBIC_SUPPORT = 2.0;

    private PillowResize() {
    }

    /**
     * @param in   the source image
     * @param outW output width, at least 1
     * @param outH output height, at least 1
     * @return a new {@code outW x outH} image; {@code in} is left untouched
     */
    public static RgbImage resize(RgbImage in, int outW, int outH) {
        if (outW < 1 || outH < 1 || 3L * outW * outH > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("bad output size " + outW + "x" + outH);
        }
        int w = in.width();
        int h = in.height();
        byte[] src = in.buffer();
        if (w == outW && h == outH) {
            return RgbImage.wrap(w, h, src.clone());
        }
        boolean needVertical = h != outH;
        Taps vTaps = needVertical ? Taps.of(h, outH) : null;
        int firstRow = 0;
        if (w != outW) {
            // Like Pillow, the horizontal pass only produces the rows the vertical pass will read.
            firstRow = needVertical ? vTaps.start[0] : 0;
            int lastRow = needVertical ? vTaps.start[outH - 1] + vTaps.count[outH - 1] : h;
            src = horizontal(src, w, firstRow, lastRow - firstRow, Taps.of(w, outW));
            w = outW;
        }
        if (needVertical) {
            src = vertical(src, w, firstRow, outH, vTaps);
        }
        return RgbImage.wrap(outW, outH, src);
    }

    private static byte[] horizontal(byte[] src, int inW, int firstRow, int rows, Taps taps) {
        int outW = taps.start.length;
        byte[] out = new byte[3 * outW * rows];
        int[] k = taps.weights;
        int ks = taps.kernelSize;
        for (int y = 0; y < rows; y++) {
            int rowIn = (firstRow + y) * inW * 3;
            int o = y * outW * 3;
            for (int x = 0; x < outW; x++) {
                int r = 1 << (PRECISION_BITS - 1);
                int g = r;
                int b = r;
                int p = rowIn + taps.start[x] * 3;
                int kb = x * ks;
                for (int t = 0, n = taps.count[x]; t < n; t++, p += 3) {
                    int kv = k[kb + t];
                    r += (src[p] & 0xFF) * kv;
                    g += (src[p + 1] & 0xFF) * kv;
                    b += (src[p + 2] & 0xFF) * kv;
                }
                out[o++] = clip8(r);
                out[o++] = clip8(g);
                out[o++] = clip8(b);
            }
        }
        return out;
    }

    /** {@code src} holds the rows from {@code firstRow} on; the tap positions are absolute row numbers. */
    private static byte[] vertical(byte[] src, int w, int firstRow, int outH, Taps taps) {
        int stride = 3 * w;
        byte[] out = new byte[stride * outH];
        int[] acc = new int[stride];
        int ks = taps.kernelSize;
        for (int y = 0; y < outH; y++) {
            Arrays.fill(acc, 1 << (PRECISION_BITS - 1));
            // Row by row rather than pixel by pixel, for memory locality; integer sums do not care about order.
            for (int t = 0, n = taps.count[y]; t < n; t++) {
                int kv = taps.weights[y * ks + t];
                int p = (taps.start[y] - firstRow + t) * stride;
                for (int i = 0; i < stride; i++) {
                    acc[i] += (src[p + i] & 0xFF) * kv;
                }
            }
            int o = y * stride;
            for (int i = 0; i < stride; i++) {
                out[o + i] = clip8(acc[i]);
            }
        }
        return out;
    }

    private static byte clip8(int acc) {
        // Pillow: >= 256 << 22 gives 255, <= 0 gives 0, else acc >> 22.
        int v = acc >> PRECISION_BITS;
        return (byte) (v < 0 ? 0 : Math.min(v, 255));
    }

    static double bicubic(double x) {
        if (x < 0.0) {
            x = -x;
        }
        if (x < 1.0) {
            return ((BICUBIC_A + 2.0) * x - (BICUBIC_A + 3.0)) * x * x + 1;
        }
        if (x < 2.0) {
            return (((x - 5) * x + 8) * x - 4) * BICUBIC_A;
        }
        return 0.0;
    }

    /**
     * One axis' resampling table (Pillow's {@code precompute_coeffs} + {@code normalize_coeffs_8bpc}): output sample
     * {@code i} reads {@code count[i]} inputs from {@code start[i]} with the fixed-point weights
     * {@code weights[i * kernelSize ...]}.
     */
    static final class Taps {
        final int[] start;
        final int[] count;
        final int kernelSize;
        final int[] weights;

        private Taps(int[] start, int[] count, int kernelSize, int[] weights) {
            this.start = start;
            this.count = count;
            this.kernelSize = kernelSize;
            this.weights = weights;
        }

        static Taps of(int inSize, int outSize) {
            // Every expression below keeps Pillow's operand order: a reordered double expression can round the
            // other way and move a 22-bit weight by one.
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = BICUBIC_SUPPORT * filterScale;
            int kernelSize = (int) Math.ceil(support) * 2 + 1;
            double ss = 1.0 / filterScale;
            int[] start = new int[outSize];
            int[] count = new int[outSize];
            int[] weights = new int[outSize * kernelSize];
            double[] k = new double[kernelSize];
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                int xmin = Math.max((int) (center - support + 0.5), 0);
                int xmax = Math.min((int) (center + support + 0.5), inSize) - xmin;
                double ww = 0.0;
                for (int x = 0; x < xmax; x++) {
                    double w = bicubic((x + xmin - center + 0.5) * ss);
                    k[x] = w;
                    ww += w;
                }
                for (int x = 0; x < xmax; x++) {
                    double v = ww != 0.0 ? k[x] / ww : k[x];
                    weights[xx * kernelSize + x] = v < 0
                            ? (int) (-0.5 + v * (1 << PRECISION_BITS))
                            : (int) (0.5 + v * (1 << PRECISION_BITS));
                }
                start[xx] = xmin;
                count[xx] = xmax;
            }
            return new Taps(start, count, kernelSize, weights);
        }
    }
}
