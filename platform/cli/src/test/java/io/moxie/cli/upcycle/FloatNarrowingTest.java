package io.moxie.cli.upcycle;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.moxie.kernel.io.Float32Widening;
import org.junit.jupiter.api.Test;

/** {@link FloatNarrowing}: exact on representable values, nearest-even between them, torch's NaN and overflow. */
class FloatNarrowingTest {

    @Test
    void everyHalfRoundTripsAndMidpointsRoundToEven() {
        for (int h = 0; h < 0x10000; h++) {
            int exponent = (h >>> 10) & 0x1F;
            if (exponent == 0x1F) {
                continue; // infinities and NaNs: below
            }
            float f = Float32Widening.halfToFloat((short) h);
            assertEquals((short) h, FloatNarrowing.toHalfBits(f), "half " + Integer.toHexString(h));
            if ((h & 0x7FFF) < 0x7BFF) {
                // halfway to the next half away from zero: ties go to the even mantissa
                float next = Float32Widening.halfToFloat((short) (h + 1));
                float mid = (float) (((double) f + next) / 2);
                short even = (short) ((h & 1) == 0 ? h : h + 1);
                assertEquals(even, FloatNarrowing.toHalfBits(mid), "midpoint after " + Integer.toHexString(h));
            }
        }
    }

    @Test
    void halfOverflowAndNaNAreTorchs() {
        assertEquals((short) 0x7BFF, FloatNarrowing.toHalfBits(65519.0f));
        assertEquals((short) 0x7C00, FloatNarrowing.toHalfBits(65520.0f));
        assertEquals((short) 0xFC00, FloatNarrowing.toHalfBits(Float.NEGATIVE_INFINITY));
        assertEquals((short) 0x7E00, FloatNarrowing.toHalfBits(Float.NaN));
        assertEquals((short) 0x8000, FloatNarrowing.toHalfBits(-0.0f));
        assertEquals((short) 0x0000, FloatNarrowing.toHalfBits(1e-8f)); // below half the smallest subnormal
        assertEquals((short) 0x0001, FloatNarrowing.toHalfBits(0x1p-24f));
    }

    @Test
    void bfloat16RoundsToNearestEven() {
        assertEquals((short) 0x3F80, FloatNarrowing.toBfloat16Bits(1.0f));
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: to even (1)
        assertEquals((short) 0x3F80, FloatNarrowing.toBfloat16Bits(1.0f + 0x1p-8f));
        // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: to even (1 + 2^-6)
        assertEquals((short) 0x3F82, FloatNarrowing.toBfloat16Bits(1.0f + 3 * 0x1p-8f));
        assertEquals((short) 0x3F81, FloatNarrowing.toBfloat16Bits(1.0f + 0x1p-8f + 0x1p-20f));
        assertEquals((short) 0x7FC0, FloatNarrowing.toBfloat16Bits(Float.NaN));
        assertEquals((short) 0x7F80, FloatNarrowing.toBfloat16Bits(Float.MAX_VALUE));
        for (int b = 0; b < 0x10000; b++) {
            float f = Float32Widening.bfloat16ToFloat((short) b);
            if (!Float.isNaN(f)) {
                assertEquals((short) b, FloatNarrowing.toBfloat16Bits(f), "bf16 " + Integer.toHexString(b));
            }
        }
    }
}
