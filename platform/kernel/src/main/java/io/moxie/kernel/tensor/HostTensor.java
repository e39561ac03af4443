package io.moxie.kernel.tensor;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * A tensor in host memory, outside any {@link NDManager}: what crosses the boundary between the kernel and its
 * callers (files, the CLI, the gateway). The data is little-endian, row-major, exactly
 * {@code numElements * dataType.getNumOfBytes()} bytes.
 *
 * <p>Immutable: {@link #data()} returns a read-only view.
 */
public final class HostTensor {
    private final DataType dataType;
    private final long[] shape;
    private final ByteBuffer data;

    /**
     * @throws IllegalArgumentException if the byte count does not match dtype and shape
     */
    public HostTensor(DataType dataType, long[] shape, ByteBuffer data) {
        this.dataType = Objects.requireNonNull(dataType, "dataType");
        this.shape = shape.clone();
        long expected = numElements(this.shape) * dataType.getNumOfBytes();
        if (data.remaining() != expected) {
            throw new IllegalArgumentException("tensor of " + dataType + Arrays.toString(shape) + " needs " + expected
                    + " bytes, got " + data.remaining());
        }
        this.data = data.slice().order(ByteOrder.LITTLE_ENDIAN).asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Wraps float32 values. */
    public static HostTensor ofFloats(float[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return new HostTensor(DataType.FLOAT32, shape, b);
    }

    /** Wraps int64 values. */
    public static HostTensor ofLongs(long[] values, long... shape) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(values);
        return new HostTensor(DataType.INT64, shape, b);
    }

    /** Wraps raw bytes as a uint8 vector (an encoded image, for instance). */
    public static HostTensor ofBytes(byte[] bytes) {
        return new HostTensor(DataType.UINT8, new long[] {bytes.length}, ByteBuffer.wrap(bytes));
    }

    /**
     * Copies an NDArray to the host: one copy, from the array's memory straight into the tensor's heap buffer. The
     * result owns its bytes, so it stays valid after the array and its manager close (a response built from it may
     * be written after the request's memory scope closed).
     */
    public static HostTensor copyOf(NDArray array) {
        long expected = array.getShape().size() * array.getDataType().getNumOfBytes();
        // toByteBuffer() copies once, into a new heap array of its own that nothing else references: the tensor
        // wraps it as it is (toByteBuffer(true) would share the memory, but a strided view would then leave a
        // contiguous temporary in the array's manager, possibly a long-lived one)
        ByteBuffer src = array.toByteBuffer();
        if (src.remaining() != expected) {
            // a strided view (a slice, a transpose) hands back its whole storage: copy it into row-major order
            try (NDArray contiguous = array.flatten()) {
                return copyOf(contiguous.reshape(array.getShape()));
            }
        }
        return new HostTensor(array.getDataType(), array.getShape().getShape(), src);
    }

    /**
     * Creates an NDArray with this tensor's contents in {@code manager}: one copy, into memory the engine allocates
     * (uninitialized, owned by the new array, freed when {@code manager} closes); see {@link NativeTransfer}.
     *
     * @throws IllegalArgumentException for bfloat16 on the PyTorch engine, which cannot hold it
     */
    public NDArray toNDArray(NDManager manager) {
        return NativeTransfer.fill(manager, data(), new Shape(shape), dataType);
    }

    public DataType dataType() {
        return dataType;
    }

    /** Returns a copy of the shape. */
    public long[] shape() {
        return shape.clone();
    }

    /** Returns the number of elements. */
    public long numElements() {
        return numElements(shape);
    }

    /** Returns a read-only little-endian view of the data, positioned at 0. */
    public ByteBuffer data() {
        return data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Returns the values as floats; only for float32 tensors. */
    public float[] toFloatArray() {
        requireType(DataType.FLOAT32);
        float[] out = new float[(int) numElements()];
        data().asFloatBuffer().get(out);
        return out;
    }

    /** Returns the values as longs; only for int64 tensors. */
    public long[] toLongArray() {
        requireType(DataType.INT64);
        long[] out = new long[(int) numElements()];
        data().asLongBuffer().get(out);
        return out;
    }

    /** Returns a copy of the raw bytes. */
    public byte[] toByteArray() {
        byte[] out = new byte[data.remaining()];
        data().get(out);
        return out;
    }

    private void requireType(DataType type) {
        if (dataType != type) {
            throw new IllegalStateException("tensor is " + dataType + ", not " + type);
        }
    }

    private static long numElements(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HostTensor t && t.dataType == dataType && Arrays.equals(t.shape, shape) && t.data().equals(data());
    }

    @Override
    public int hashCode() {
        return Objects.hash(dataType, Arrays.hashCode(shape), data());
    }

    @Override
    public String toString() {
        return dataType + Arrays.toString(shape);
    }
}
