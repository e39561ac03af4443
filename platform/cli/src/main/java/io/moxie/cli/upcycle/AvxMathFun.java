package io.moxie.cli.upcycle;

/**
 * One lane of ATen's {@code avx_mathfun.h} ({@code log256_ps}, {@code sincos256_ps}: Cephes polynomials in float32),
 * which torch's AVX2 {@code normal_fill} uses for {@code torch.randn}. Ported operation by operation so the results
 * are bit-identical. Debian's torch 1.13 was compiled by GCC with FMA enabled and floating-point contraction on, so
 * every multiply whose only use is an add became one fused multiply-add; this uses {@link Math#fma} at the same places
 * (verified against {@code torch.randn} on 2 x 10^6 values: all bits equal; without the fusion about 1% of the values
 * differ in the last bit). Stateless.
 */
final class AvxMathFun {
    // C initialises float arrays from these double literals: (float) of the double, as written here
    private static final float SQRTHF = (float) 0.707106781186547524;
    private static final float LOG_P0 = (float) 7.0376836292E-2;
    private static final float LOG_P1 = (float) -1.1514610310E-1;
    private static final float LOG_P2 = (float) 1.1676998740E-1;
    private static final float LOG_P3 = (float) -1.2420140846E-1;
    private static final float LOG_P4 = (float) 1.4249322787E-1;
    private static final float LOG_P5 = (float) -1.6668057665E-1;
    private static final float LOG_P6 = (float) 2.0000714765E-1;
    private static final float LOG_P7 = (float) -2.4999993993E-1;
    private static final float LOG_P8 = (float) 3.3333331174E-1;
    private static final float LOG_Q1 = (float) -2.12194440e-4;
    private static final float LOG_Q2 = (float) 0.693359375;
    private static final float MIN_NORM_POS = Float.intBitsToFloat(0x00800000);

    private static final float MINUS_DP1 = (float) -0.78515625;
    private static final float MINUS_DP2 = (float) -2.4187564849853515625e-4;
    private static final float MINUS_DP3 = (float) -3.77489497744594108e-8;
    private static final float SINCOF_P0 = (float) -1.9515295891E-4;
    private static final float SINCOF_P1 = (float) 8.3321608736E-3;
    private static final float SINCOF_P2 = (float) -1.6666654611E-1;
    private static final float COSCOF_P0 = (float) 2.443315711809948E-005;
    private static final float COSCOF_P1 = (float) -1.388731625493765E-003;
    private static final float COSCOF_P2 = (float) 4.166664568298827E-002;
    private static final float FOPI = (float) 1.27323954473516;

    private AvxMathFun() {}

    /** a * b + c rounded once, as the contracted multiply-add of the compiled code. */
    private static float madd(float a, float b, float c) {
        return Math.fma(a, b, c);
    }

    /** {@code log256_ps}: natural logarithm; NaN for {@code x <= 0}. */
    static float log(float x) {
        boolean invalid = x <= 0f;
        x = Math.max(x, MIN_NORM_POS); // cut off denormals (x is never NaN here)
        int bits = Float.floatToRawIntBits(x);
        int exponent = (bits >>> 23) - 0x7f;
        // keep the mantissa, with the exponent of 0.5: x in [0.5, 1)
        x = Float.intBitsToFloat((bits & ~0x7f800000) | Float.floatToRawIntBits(0.5f));
        float e = (float) exponent + 1f;
        boolean below = x < SQRTHF;
        float tmp = below ? x : 0f;
        x = x - 1f;
        e = e - (below ? 1f : 0f);
        x = x + tmp;
        float z = x * x;
        float y = madd(LOG_P0, x, LOG_P1);
        y = madd(y, x, LOG_P2);
        y = madd(y, x, LOG_P3);
        y = madd(y, x, LOG_P4);
        y = madd(y, x, LOG_P5);
        y = madd(y, x, LOG_P6);
        y = madd(y, x, LOG_P7);
        y = madd(y, x, LOG_P8);
        y = y * x;
        // y * z + e * q1: GCC fuses the first product (in statement order) and rounds the second
        y = madd(y, z, e * LOG_Q1);
        y = madd(-z, 0.5f, y);
        x = madd(e, LOG_Q2, x + y);
        return invalid ? Float.NaN : x;
    }

    /** {@code sincos256_ps}: returns {sin(x), cos(x)}. */
    static float[] sincos(float x) {
        int signSin = Float.floatToRawIntBits(x) & 0x80000000;
        x = Float.intBitsToFloat(Float.floatToRawIntBits(x) & 0x7fffffff);
        float y = x * FOPI;
        int j = (int) y; // truncation, as cvttps (y is small and positive here)
        j = (j + 1) & ~1;
        y = (float) j;
        int swapSignSin = (j & 4) << 29;
        boolean polyMask = (j & 2) == 0;
        x = madd(y, MINUS_DP1, x);
        x = madd(y, MINUS_DP2, x);
        x = madd(y, MINUS_DP3, x);
        int signCos = (~(j - 2) & 4) << 29;
        signSin ^= swapSignSin;

        float z = x * x;
        float c = madd(COSCOF_P0, z, COSCOF_P1);
        c = madd(c, z, COSCOF_P2);
        c = c * z;
        c = madd(c, z, -(z * 0.5f));
        c = c + 1f;

        float s = madd(SINCOF_P0, z, SINCOF_P1);
        s = madd(s, z, SINCOF_P2);
        s = s * z;
        s = madd(s, x, x);

        // the vector code selects by masking and adding; the same arithmetic keeps signed zeros identical
        float ysin2 = polyMask ? s : 0f;
        float ysin1 = polyMask ? 0f : c;
        s = s - ysin2;
        c = c - ysin1;
        float sin = ysin1 + ysin2;
        float cos = c + s;
        return new float[] {
            Float.intBitsToFloat(Float.floatToRawIntBits(sin) ^ signSin),
            Float.intBitsToFloat(Float.floatToRawIntBits(cos) ^ signCos)
        };
    }
}
