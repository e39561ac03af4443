package io.moxie.blas;

import ai.djl.ndarray.NDArray;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * Views of a DJL array's own memory for OpenBLAS and for plain Java loops: no copy, so whatever is written through
 * the view is the array's content. The array keeps the memory: a view must not outlive it.
 */
public final class SharedMemory {
    private SharedMemory() {
    }

    /**
     * Returns the float32 elements of {@code array} in row-major order as a direct native-order buffer sharing its
     * memory ({@code NDArray.toByteBuffer(true)}: 2 µs instead of a 1 ms copy for 576x1024). A non-contiguous array
     * is first made contiguous by the engine, into a new array of the same manager.
     *
     * @throws IllegalStateException if the engine handed back a copy (a GPU array), which would silently lose writes
     */
    public static FloatBuffer floats(NDArray array) {
        return bytes(array).asFloatBuffer();
    }

    /** Returns the same memory as {@link #floats(NDArray)}, as native-order bytes (for the engine's own views). */
    public static ByteBuffer bytes(NDArray array) {
        ByteBuffer bytes = array.toByteBuffer(true);
        if (!bytes.isDirect()) {
            throw new IllegalStateException("array on " + array.getDevice() + " does not share its memory");
        }
        return bytes.order(ByteOrder.nativeOrder());
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
