package io.moxie.blas;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Views of a DJL array's own memory for OpenBLAS and for plain Java loops: no copy, so whatever is written through
 * the view is the array's content. The array keeps the memory: a view must not outlive it.
 */
public final class SharedMemory {
    /**
     * DJL's PyTorch engine lays CPU arrays out for MKLDNN under this property (read once, as the engine does at its
     * start), and then shares no memory. Read here once rather than on every view, which is a hot path.
     */
    private static final boolean MKLDNN_LAYOUT = Boolean.getBoolean("ai.djl.pytorch.use_mkldnn");

    private SharedMemory() {
    }

    /**
     * Returns the float32 elements of {@code array} in row-major order as a direct native-order buffer sharing its
     * memory ({@code NDArray.toByteBuffer(true)}: 2 µs instead of a 1 ms copy for 576x1024). A non-contiguous array
     * is first made contiguous by the engine, into a new array of the same manager.
     *
     * @throws IllegalStateException if the array's memory cannot be shared ({@link #shareable}): the engine would hand
     *     back a copy, and writes through it would be lost silently
     */
    public static FloatBuffer floats(NDArray array) {
        return bytes(array).asFloatBuffer();
    }

    /** Returns the same memory as {@link #floats(NDArray)}, as native-order bytes (for the engine's own views). */
    public static ByteBuffer bytes(NDArray array) {
        if (!shareable(array)) {
            throw new IllegalStateException("the memory of a " + array.getDataType() + " array " + array.getShape()
                    + " on " + array.getDevice() + " cannot be shared with OpenBLAS"
                    + (MKLDNN_LAYOUT ? " (ai.djl.pytorch.use_mkldnn lays arrays out for MKLDNN)" : ""));
        }
        ByteBuffer bytes = array.toByteBuffer(true);
        if (!bytes.isDirect()) {
            throw new IllegalStateException("array on " + array.getDevice() + " does not share its memory");
        }
        return bytes.order(ByteOrder.nativeOrder());
    }

    /**
     * Returns whether {@code array}'s own memory can be viewed as a Java buffer: float32, on the CPU, in the dense
     * layout, under 2 GiB. Anything else, {@code toByteBuffer(true)} answers with a copy (a GPU array is copied to
     * the host, an MKLDNN-laid-out one densified) or cannot answer at all.
     */
    public static boolean shareable(NDArray array) {
        return array.getDataType() == DataType.FLOAT32
                && Device.Type.CPU.equals(array.getDevice().getDeviceType())
                && !MKLDNN_LAYOUT
                && array.getShape().size() <= Integer.MAX_VALUE / Float.BYTES;
    }

    /**
     * Returns consecutive views of the given sizes (in floats) of one new float32 array in {@code manager}: the scratch
     * buffers of one call that OpenBLAS reads or writes, one engine allocation, freed with the manager's scope.
     */
    public static FloatBuffer[] slices(NDManager manager, long... sizes) {
        long total = 0;
        for (long size : sizes) {
            total += size;
        }
        FloatBuffer all = floats(manager.create(new Shape(total)));
        FloatBuffer[] slices = new FloatBuffer[sizes.length];
        long at = 0;
        for (int i = 0; i < sizes.length; i++) {
            slices[i] = at(all, at, sizes[i]);
            at += sizes[i];
        }
        return slices;
    }

    /** Returns {@code length} floats of {@code buffer} from {@code offset}, as a buffer whose element 0 is there. */
    public static FloatBuffer at(FloatBuffer buffer, long offset, long length) {
        return buffer.slice(Math.toIntExact(offset), Math.toIntExact(length));
    }

    /** Returns the floats of {@code buffer} from {@code offset} to its end, as a buffer whose element 0 is there. */
    public static FloatBuffer at(FloatBuffer buffer, long offset) {
        int start = Math.toIntExact(offset);
        return buffer.slice(start, buffer.capacity() - start);
    }

    /**
     * Returns rows {@code [firstRow, firstRow + rows)} of a row-major matrix with {@code stride} floats a row (the last
     * row may be shorter than the stride: a block of columns of a wider matrix).
     */
    public static FloatBuffer rows(FloatBuffer matrix, int firstRow, int rows, int stride) {
        int start = Math.multiplyExact(firstRow, stride);
        return matrix.slice(start, Math.min(Math.multiplyExact(rows, stride), matrix.capacity() - start));
    }
}
