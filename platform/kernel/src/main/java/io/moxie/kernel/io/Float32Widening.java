package io.moxie.kernel.io;

import ai.djl.ndarray.types.DataType;
import io.moxie.kernel.tensor.HostTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Converts float16, bfloat16 and float64 to float32 bit for bit as PyTorch's {@code tensor.float()} does on CPU, so a
 * checkpoint stored in half precision gives the weights the reference computes with.
 *
 * <p>F16 and BF16 convert exactly (every value is representable in float32). Matching torch includes two details:
 * F16 NaNs come out quiet (torch, like the x86 F16C instruction, sets the quiet bit of a signalling NaN and keeps
 * the payload), while BF16 is a plain 16-bit shift that keeps even a signalling NaN as it is. F64 rounds to nearest
 * even; its NaNs come out quiet with the top 22 payload bits kept. Stateless and thread-safe.
 */
public final class Float32Widening {
    private Float32Widening() {}

    /** Returns the float32 bits of IEEE half-precision {@code bits}, subnormals, infinities and NaNs included. */
    public static int halfToFloatBits(short bits) {
        int h = bits & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0x1F) {
            int quiet = mantissa != 0 ? 0x0040_0000 : 0;
            return sign | 0x7F80_0000 | quiet | (mantissa << 13);
        }
        if (exponent == 0) {
            if (mantissa == 0) {
                return sign;
            }
            // a half subnormal is mantissa * 2^-24: a normal float, so this product is exact
            return sign | Float.floatToRawIntBits(mantissa * 0x1p-24f);
        }
        // rebias the exponent from 15 to 127
        return sign | ((exponent + 112) << 23) | (mantissa << 13);
    }

    /** Returns the float32 value of IEEE half-precision {@code bits}. */
    public static float halfToFloat(short bits) {
        return Float.intBitsToFloat(halfToFloatBits(bits));
    }

    /** Returns the float32 bits of bfloat16 {@code bits}: the upper half of a float32. */
    public static int bfloat16ToFloatBits(short bits) {
        return (bits & 0xFFFF) << 16;
    }

    /** Returns the float32 value of bfloat16 {@code bits}. */
    public static float bfloat16ToFloat(short bits) {
        return Float.intBitsToFloat(bfloat16ToFloatBits(bits));
    }

    /** Returns the float32 bits of {@code value} rounded to nearest even, NaNs made quiet as x86 (and torch) does. */
    public static int doubleToFloatBits(double value) {
        if (Double.isNaN(value)) {
            // Java leaves NaN payloads to the platform; spell out what cvtsd2ss does
            long bits = Double.doubleToRawLongBits(value);
            int sign = (int) (bits >>> 32) & 0x8000_0000;
            int payload = (int) ((bits >>> 29) & 0x003F_FFFF);
            return sign | 0x7FC0_0000 | payload;
        }
        return Float.floatToRawIntBits((float) value);
    }

    /**
     * Returns {@code tensor} as float32, same shape: float32 itself unchanged, FLOAT16, BFLOAT16 and FLOAT64 converted
     * into a new heap buffer that the caller owns.
     *
     * @throws IllegalArgumentException if the tensor is not of one of those four types (integers and booleans are
     *     refused rather than converted), or if the float32 result would exceed 2 GiB
     */
    public static HostTensor toFloat32(HostTensor tensor) {
        DataType type = tensor.dataType();
        if (type == DataType.FLOAT32) {
            return tensor;
        }
        if (type != DataType.FLOAT16 && type != DataType.BFLOAT16 && type != DataType.FLOAT64) {
            throw new IllegalArgumentException("refusing to convert " + type.name() + " tensor "
                    + Arrays.toString(tensor.shape()) + " to float32: only FLOAT16, BFLOAT16 and FLOAT64 widen");
        }
        long n = tensor.numElements();
        if (n * 4 > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("float32 copy of " + type.name() + " tensor " + Arrays.toString(tensor.shape())
                    + " would exceed 2 GiB");
        }
        return new HostTensor(DataType.FLOAT32, tensor.shape(), widen(tensor.data(), type, (int) n));
    }

    /** Converts {@code count} little-endian elements of {@code type} from {@code src} (read from its position). */
    static ByteBuffer widen(ByteBuffer src, DataType type, int count) {
        ByteBuffer out = ByteBuffer.allocate(count * 4).order(ByteOrder.LITTLE_ENDIAN);
        widenInto(src, type, count, out);
        return out.rewind();
    }

    /**
     * Converts {@code count} little-endian elements of {@code type} from {@code src} (read from its position) into
     * {@code out} from its position on, in {@code out}'s byte order, and advances {@code out} past them.
     */
    static void widenInto(ByteBuffer src, DataType type, int count, ByteBuffer out) {
        ByteBuffer in = src.slice().order(ByteOrder.LITTLE_ENDIAN);
        int at = out.position();
        // integer stores keep the exact bits; a float round trip could quieten a NaN
        switch (type) {
            case FLOAT16 -> {
                for (int i = 0; i < count; i++) {
                    out.putInt(at + i * 4, halfToFloatBits(in.getShort(i * 2)));
                }
            }
            case BFLOAT16 -> {
                for (int i = 0; i < count; i++) {
                    out.putInt(at + i * 4, bfloat16ToFloatBits(in.getShort(i * 2)));
                }
            }
            case FLOAT64 -> {
                for (int i = 0; i < count; i++) {
                    out.putInt(at + i * 4, doubleToFloatBits(in.getDouble(i * 8)));
                }
            }
            default -> throw new IllegalArgumentException("cannot widen " + type.name() + " to float32");
        }
        out.position(at + count * 4);
    }
}
