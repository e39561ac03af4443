package io.moxie.blas;

/**
 * {@code tanh} in float32 as Eigen's and XLA's {@code generic_fast_tanh_float}: an odd polynomial over an even one on
 * the argument clamped to where float32 {@code tanh} is not yet ±1; within 4e-7 of the exact function. Only
 * additions, multiplications, one division and a clamp, so that HotSpot's C2 vectorises the loops it is inlined into
 * ({@link Math#tanh} and {@link Math#exp} are scalar calls). Stateless.
 */
final class RationalTanh {
    private static final float CLAMP = 7.90531110763549805f;

    private RationalTanh() {
    }

    static float of(float v) {
        float x = Math.max(-CLAMP, Math.min(CLAMP, v));
        float x2 = x * x;
        float p = -2.76076847742355e-16f;
        p = p * x2 + 2.00018790482477e-13f;
        p = p * x2 - 8.60467152213735e-11f;
        p = p * x2 + 5.12229709037114e-08f;
        p = p * x2 + 1.48572235717979e-05f;
        p = p * x2 + 6.37261928875436e-04f;
        p = p * x2 + 4.89352455891786e-03f;
        float q = 1.19825839466702e-06f;
        q = q * x2 + 1.18534705686654e-04f;
        q = q * x2 + 2.26843463243900e-03f;
        q = q * x2 + 4.89352518554385e-03f;
        return x * p / q;
    }
}
