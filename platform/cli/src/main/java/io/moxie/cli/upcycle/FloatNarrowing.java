package io.moxie.cli.upcycle;

/**
 * Float32 to float16 / bfloat16 as torch's {@code .to(torch.float16)} and {@code .to(torch.bfloat16)} on CPU:
 * round to nearest even, overflow to infinity, NaN to a quiet NaN that keeps the sign. The kernel's
 * {@code Float32Widening} goes the other way. Stateless.
 */
final class FloatNarrowing {
    private FloatNarrowing() {}

    /**
     * IEEE half bits of {@code f}: a port of {@code fp16_ieee_from_fp32_value} (c10's {@code Half(float)}), which
     * lets the float adder do the rounding: scaling up then down by powers of two flushes what half cannot hold,
     * and adding a bias of the right exponent rounds the mantissa to 10 bits, nearest even.
     */
    static short toHalfBits(float f) {
        float base = (Math.abs(f) * 0x1.0p+112f) * 0x1.0p-110f;
        int w = Float.floatToRawIntBits(f);
        int shl1 = w + w;
        int sign = w & 0x80000000;
        int bias = shl1 & 0xFF000000;
        if (Integer.compareUnsigned(bias, 0x71000000) < 0) {
            bias = 0x71000000;
        }
        base = Float.intBitsToFloat((bias >>> 1) + 0x07800000) + base;
        int bits = Float.floatToRawIntBits(base);
        int expBits = (bits >>> 13) & 0x00007C00;
        int mantissaBits = bits & 0x00000FFF;
        int nonsign = expBits + mantissaBits;
        boolean nan = Integer.compareUnsigned(shl1, 0xFF000000) > 0;
        return (short) ((sign >>> 16) | (nan ? 0x7E00 : nonsign));
    }

    /** Bfloat16 bits of {@code f}: c10's {@code round_to_nearest_even}. */
    static short toBfloat16Bits(float f) {
        if (Float.isNaN(f)) {
            return (short) 0x7FC0;
        }
        int u = Float.floatToRawIntBits(f);
        int roundingBias = ((u >>> 16) & 1) + 0x7FFF;
        return (short) ((u + roundingBias) >>> 16);
    }
}
