package io.moxie.kernel.tensor;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Copies host bytes into a new NDArray with one copy and no Java-side allocation.
 *
 * <p>{@code manager.create(heap buffer)} copies into a fresh {@code ByteBuffer.allocateDirect} (zeroed by the JVM,
 * then copied into, and freed only when the garbage collector finds the buffer unreachable, not when the manager
 * closes). Instead the engine allocates the array uninitialized ({@code manager.create(shape, dtype)}), and
 * {@code toByteBuffer(true)} hands out that array's own memory (notes/platform-facts.md §7), which the host bytes
 * are copied into: the memory belongs to the array and is freed with its manager.
 *
 * <p>That sharing holds for a dense array in CPU memory of the PyTorch engine; elsewhere (another device, or
 * PyTorch's MKLDNN layout, where {@code toByteBuffer(true)} returns a converted copy) the engine's own
 * {@code create} is used.
 */
final class NativeTransfer {
    private NativeTransfer() {
    }

    /**
     * Creates an array of {@code shape} and {@code type} in {@code manager} holding {@code data}.
     *
     * @param data little-endian bytes, exactly as many as dtype and shape need (read from its position; not
     *     modified)
     * @throws IllegalArgumentException for bfloat16 on the PyTorch engine
     */
    static NDArray fill(NDManager manager, ByteBuffer data, Shape shape, DataType type) {
        if (type == DataType.BFLOAT16 && "PyTorch".equals(manager.getEngine().getEngineName())) {
            // DJL 0.35's PyTorch binding aborts the whole JVM (an uncaught C++ exception) on a bfloat16 array,
            // whichever way it is created: refuse it with an error the caller can report
            throw new IllegalArgumentException("bfloat16 tensors are not supported by the PyTorch engine binding; "
                    + "send float16 or float32");
        }
        ByteBuffer src = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (!sharesMemory(manager) || src.remaining() == 0 || ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            return manager.create(src, shape, type);
        }
        NDArray array = manager.create(shape, type);
        try {
            ByteBuffer own = array.toByteBuffer(true);
            if (own.remaining() != src.remaining()) {
                throw new IllegalStateException("new array " + type + shape + " exposes " + own.remaining()
                        + " bytes, expected " + src.remaining());
            }
            own.put(src);
            return array;
        } catch (RuntimeException e) {
            array.close();
            throw e;
        }
    }

    /** Whether {@code toByteBuffer(true)} of a new array of {@code manager} is the array's own memory. */
    private static boolean sharesMemory(NDManager manager) {
        return "PyTorch".equals(manager.getEngine().getEngineName())
                && manager.getDevice().getDeviceType().equals(Device.Type.CPU)
                && !Boolean.getBoolean("ai.djl.pytorch.use_mkldnn");
    }
}
