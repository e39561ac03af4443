package io.moxie.cli.upcycle;

/**
 * PyTorch's CPU random number generator, {@code torch.Generator().manual_seed(seed)}, with the float32 sampling of
 * {@code torch.rand} and {@code torch.randn} reproduced bit for bit, so that gates drawn here equal the reference's.
 *
 * <ul>
 *   <li>The engine is MT19937 seeded with the seed's low 32 bits (a negative Python seed is taken as its 64-bit
 *       two's complement first, which leaves the same low bits).
 *   <li>{@link #rand}: one 32-bit draw per element, in row-major order, mapped to {@code (v & (2^24 - 1)) * 2^-24}
 *       (ATen's {@code uniform_real_distribution<float>}).
 *   <li>{@link #randn} with 16 or more elements: ATen's {@code normal_fill}: all uniforms first, then Box-Muller on
 *       blocks of 16 (lane {@code j} pairs with {@code j + 8}), and when the count is not a multiple of 16, the last
 *       16 elements redrawn from fresh uniforms and transformed again. The transform is the AVX2 variant that torch
 *       selects on an AVX2 machine (Cephes float polynomials, see {@link AvxMathFun}); torch running with another
 *       CPU capability (no AVX2, or AVX-512 forced) uses libm's logf/cosf/sinf instead: measured by emulating
 *       that path, about 39% of the values differ, by at most 2.0e-6 (for std 1).
 *   <li>{@link #randn} with fewer than 16 elements: ATen's {@code normal_distribution<double>}: two 64-bit uniforms
 *       per pair, Box-Muller in double, the sine half cached in the generator for the next element (as torch does,
 *       across calls), each value rounded to float.
 * </ul>
 *
 * Not thread-safe: one generator belongs to one sequence of draws, like torch's.
 */
public final class TorchGenerator {
    private static final float TWO_PI = (float) (2.0 * Math.PI);

    private final Mt19937 engine;
    /** ATen's {@code next_double_normal_sample}: the unused half of the last double Box-Muller pair. */
    private double cachedNormal;
    private boolean hasCachedNormal;

    /** {@code torch.Generator().manual_seed(seed)}. */
    public TorchGenerator(long seed) {
        this.engine = new Mt19937(seed);
    }

    /** The next raw 32-bit draw, unsigned. */
    public long random() {
        return Integer.toUnsignedLong(engine.nextInt());
    }

    /** ATen's {@code random64()}: two draws, the first one the high half. */
    public long random64() {
        long hi = Integer.toUnsignedLong(engine.nextInt());
        long lo = Integer.toUnsignedLong(engine.nextInt());
        return (hi << 32) | lo;
    }

    /** One {@code uniform_real_distribution<float>(0, 1)} sample: 24 random bits, exact in float. */
    public float uniformFloat() {
        return (engine.nextInt() & 0xFFFFFF) * 0x1p-24f;
    }

    /** One {@code uniform_real_distribution<double>(0, 1)} sample: 53 random bits of a 64-bit draw. */
    public double uniformDouble() {
        return (random64() & ((1L << 53) - 1)) * 0x1p-53;
    }

    /** {@code torch.rand(n, generator=gen)} in float32 (any shape of {@code n} elements, row-major). */
    public float[] rand(int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = uniformFloat();
        }
        return out;
    }

    /** {@code torch.randn(n, generator=gen)} in float32 (any shape of {@code n} elements, row-major). */
    public float[] randn(int n) {
        float[] data = new float[n];
        if (n < 16) {
            for (int i = 0; i < n; i++) {
                data[i] = (float) normalDouble();
            }
            return data;
        }
        for (int i = 0; i < n; i++) {
            data[i] = uniformFloat();
        }
        for (int i = 0; i + 16 <= n; i += 16) {
            boxMuller16(data, i);
        }
        if (n % 16 != 0) {
            int base = n - 16;
            for (int i = 0; i < 16; i++) {
                data[base + i] = uniformFloat();
            }
            boxMuller16(data, base);
        }
        return data;
    }

    /** {@code normal_fill_16_AVX2} with mean 0 and std 1; the final {@code fmadd(n, std, mean)} kept for -0.0. */
    private void boxMuller16(float[] data, int offset) {
        for (int j = 0; j < 8; j++) {
            float u1 = 1f - data[offset + j];
            float u2 = data[offset + j + 8];
            // sqrt in double then rounded to float equals the correctly rounded float sqrt
            float radius = (float) Math.sqrt(-2f * AvxMathFun.log(u1));
            float[] sinCos = AvxMathFun.sincos(TWO_PI * u2);
            data[offset + j] = Math.fma(radius * sinCos[1], 1f, 0f);
            data[offset + j + 8] = Math.fma(radius * sinCos[0], 1f, 0f);
        }
    }

    /** {@code normal_distribution<double>(0, 1)} with torch's cache of the second sample. */
    private double normalDouble() {
        if (hasCachedNormal) {
            hasCachedNormal = false;
            return cachedNormal * 1.0 + 0.0;
        }
        double u1 = uniformDouble();
        double u2 = uniformDouble();
        double r = StrictMath.sqrt(-2.0 * StrictMath.log(1.0 - u2));
        double theta = 2.0 * Math.PI * u1;
        cachedNormal = r * StrictMath.sin(theta);
        hasCachedNormal = true;
        return r * StrictMath.cos(theta) * 1.0 + 0.0;
    }
}
