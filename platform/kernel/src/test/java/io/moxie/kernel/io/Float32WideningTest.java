package io.moxie.kernel.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import io.moxie.kernel.tensor.HostTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.api.Test;

class Float32WideningTest {
    /**
     * SHA-256 of the little-endian float32 bits torch 1.13's {@code .float()} gives for every 16-bit pattern
     * 0..65535, printed by fixtures/io/make_fixtures.py.
     */
    private static final String TORCH_F16_SHA256 = "b636c5716ff84d972782faf02d0194cb8951526bea4cc487082feb47b1860ddf";
    private static final String TORCH_BF16_SHA256 = "9207d7eb28680a098c73dbe536d1ff7b94311dc417b9a385e0af6660683e93ca";

    @Test
    void halfPrecisionKnownValuesConvertExactly() {
        assertEquals(1.0f, Float32Widening.halfToFloat((short) 0x3C00));
        assertEquals(-2.5f, Float32Widening.halfToFloat((short) 0xC100));
        assertEquals(65504.0f, Float32Widening.halfToFloat((short) 0x7BFF));
        assertEquals(0x1p-24f, Float32Widening.halfToFloat((short) 0x0001), "smallest subnormal");
        assertEquals(1023 * 0x1p-24f, Float32Widening.halfToFloat((short) 0x03FF), "largest subnormal");
        assertEquals(0x1p-14f, Float32Widening.halfToFloat((short) 0x0400), "smallest normal");
        assertEquals(Float.POSITIVE_INFINITY, Float32Widening.halfToFloat((short) 0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, Float32Widening.halfToFloat((short) 0xFC00));
        assertEquals(0x8000_0000, Float32Widening.halfToFloatBits((short) 0x8000), "negative zero");
        assertEquals(0x7FC0_0000, Float32Widening.halfToFloatBits((short) 0x7E00), "quiet NaN");
        assertTrue(Float.isNaN(Float32Widening.halfToFloat((short) 0xFE00)));
    }

    @Test
    void halfPrecisionSignallingNanComesOutQuietWithItsPayloadAsInTorch() {
        assertEquals(0x7FC0_2000, Float32Widening.halfToFloatBits((short) 0x7C01));
        assertEquals(0xFFE0_0000, Float32Widening.halfToFloatBits((short) 0xFD00));
    }

    @Test
    void bfloat16KnownValuesConvertByShiftingSixteenBits() {
        assertEquals(1.0f, Float32Widening.bfloat16ToFloat((short) 0x3F80));
        assertEquals(-2.5f, Float32Widening.bfloat16ToFloat((short) 0xC020));
        assertEquals(Float.intBitsToFloat(0x7F7F_0000), Float32Widening.bfloat16ToFloat((short) 0x7F7F), "max");
        assertEquals(0x0001_0000, Float32Widening.bfloat16ToFloatBits((short) 0x0001), "smallest subnormal");
        assertEquals(Float.POSITIVE_INFINITY, Float32Widening.bfloat16ToFloat((short) 0x7F80));
        assertEquals(Float.NEGATIVE_INFINITY, Float32Widening.bfloat16ToFloat((short) 0xFF80));
        assertEquals(0x7FC0_0000, Float32Widening.bfloat16ToFloatBits((short) 0x7FC0), "quiet NaN");
        assertEquals(0x7F81_0000, Float32Widening.bfloat16ToFloatBits((short) 0x7F81), "torch keeps a signalling NaN");
    }

    @Test
    void everyHalfPatternConvertsAsTorchDoes() throws Exception {
        assertEquals(TORCH_F16_SHA256, sha256OfAllPatterns(b -> Float32Widening.halfToFloatBits((short) b)));
    }

    @Test
    void everyBfloat16PatternConvertsAsTorchDoes() throws Exception {
        assertEquals(TORCH_BF16_SHA256, sha256OfAllPatterns(b -> Float32Widening.bfloat16ToFloatBits((short) b)));
    }

    @Test
    void doublesRoundToNearestAndNansComeOutQuietAsInTorch() {
        // the expected bits are what torch 1.13 printed for .float() of these doubles
        assertEquals(0x3EAA_AAAB, Float32Widening.doubleToFloatBits(1.0 / 3));
        assertEquals(0x7F80_0000, Float32Widening.doubleToFloatBits(1e300));
        assertEquals(0x8000_0000, Float32Widening.doubleToFloatBits(-1e-300));
        assertEquals(0x0000_0001, Float32Widening.doubleToFloatBits(0x1p-149 * 0.75));
        assertEquals(0x7FC0_0000, Float32Widening.doubleToFloatBits(Double.longBitsToDouble(0x7FF0_0000_0000_0001L)));
        assertEquals(0x7FE0_0000, Float32Widening.doubleToFloatBits(Double.longBitsToDouble(0x7FF4_0000_0000_0000L)));
        assertEquals(0xFFC0_0000, Float32Widening.doubleToFloatBits(Double.longBitsToDouble(0xFFF8_0000_0000_0000L)));
    }

    @Test
    void tensorsWidenToFloat32KeepingTheirShape() {
        ByteBuffer half = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        half.putShort((short) 0x3C00).putShort((short) 0xC100).putShort((short) 0x7BFF).putShort((short) 0x0001);
        HostTensor widened = Float32Widening.toFloat32(new HostTensor(DataType.FLOAT16, new long[] {2, 2}, half.flip()));
        assertEquals(DataType.FLOAT32, widened.dataType());
        assertArrayEquals(new long[] {2, 2}, widened.shape());
        assertArrayEquals(new float[] {1.0f, -2.5f, 65504f, 0x1p-24f}, widened.toFloatArray());

        HostTensor f32 = HostTensor.ofFloats(new float[] {1}, 1);
        assertSame(f32, Float32Widening.toFloat32(f32));
    }

    @Test
    void integerTensorsAreRefusedRatherThanConverted() {
        HostTensor ints = HostTensor.ofLongs(new long[] {1, 2}, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Float32Widening.toFloat32(ints));
        assertTrue(e.getMessage().contains("refusing to convert INT64 tensor [2] to float32"), e.getMessage());
    }

    private static String sha256OfAllPatterns(IntUnaryOperator convert) throws Exception {
        ByteBuffer out = ByteBuffer.allocate(65536 * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int b = 0; b < 65536; b++) {
            out.putInt(convert.applyAsInt(b));
        }
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(out.array()));
    }
}
