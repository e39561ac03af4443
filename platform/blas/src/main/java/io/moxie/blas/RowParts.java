package io.moxie.blas;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.function.UnaryOperator;

/**
 * The element-wise and row-wise steps between a layer's GEMMs (LayerNorm, residual adds) on the same fork-join parts
 * as the GEMMs ({@link Parts}), so a layer never wakes libtorch's OpenMP pool: the engine runs an op on fewer than
 * 32768 elements (PyTorch's grain size) on the calling thread, so each part hands it chunks of rows below that. An
 * OpenMP pool woken between the GEMMs keeps spinning on the cores the next GEMM's parts need (docs/PERFORMANCE.md,
 * "One pool for the GEMMs"). Float32 CPU arrays only; anything else goes to the engine as it is. Stateless.
 */
public final class RowParts {
    /** PyTorch's {@code at::internal::GRAIN_SIZE}: kernels on fewer elements run serially on the calling thread. */
    private static final int SERIAL_ELEMENTS = 32767;

    private RowParts() {
    }

    /**
     * Returns {@code op(x)} for a row-wise op keeping the last axis' width (each output row depends only on its input
     * row, as LayerNorm's), in a new array of {@code x}'s manager.
     */
    public static NDArray map(NDArray x, UnaryOperator<NDArray> op) {
        if (!onCpu(x)) {
            return op.apply(x);
        }
        Shape shape = x.getShape();
        int width = Math.toIntExact(shape.get(shape.dimension() - 1));
        int rows = Math.toIntExact(shape.size() / Math.max(1, width));
        NDArray y = x.getManager().create(shape);
        if (rows == 0 || width == 0) {
            return y;
        }
        ByteBuffer in = SharedMemory.bytes(x);
        FloatBuffer out = SharedMemory.floats(y);
        int chunkRows = Math.max(1, SERIAL_ELEMENTS / width);
        int chunks = (rows + chunkRows - 1) / chunkRows;
        int parts = Parts.count(chunks, 1);
        Parts.run(parts, p -> {
            try (NDManager views = x.getManager().newSubManager()) {
                for (int c = Parts.bound(chunks, p, parts); c < Parts.bound(chunks, p + 1, parts); c++) {
                    int first = c * chunkRows;
                    int n = Math.min(chunkRows, rows - first);
                    ByteBuffer bytes = in.slice(first * width * Float.BYTES, n * width * Float.BYTES).order(in.order());
                    // a view of the rows, not a copy; the op's result is copied into y's rows
                    NDArray chunk = views.create(bytes, new Shape(n, width), DataType.FLOAT32);
                    out.put(first * width, SharedMemory.floats(op.apply(chunk)), 0, n * width);
                }
            }
        });
        return y;
    }

    /** Returns {@code a + b} (same shape, float32) in a new array of {@code a}'s manager. */
    public static NDArray add(NDArray a, NDArray b) {
        if (!onCpu(a) || !onCpu(b) || !a.getShape().equals(b.getShape())) {
            return a.add(b);
        }
        NDArray y = a.getManager().create(a.getShape());
        FloatBuffer x1 = SharedMemory.floats(a);
        FloatBuffer x2 = SharedMemory.floats(b);
        FloatBuffer out = SharedMemory.floats(y);
        int n = Math.toIntExact(a.getShape().size());
        int parts = Parts.count(n, SERIAL_ELEMENTS);
        Parts.run(parts, p -> {
            for (int i = Parts.bound(n, p, parts), end = Parts.bound(n, p + 1, parts); i < end; i++) {
                out.put(i, x1.get(i) + x2.get(i));
            }
        });
        return y;
    }

    private static boolean onCpu(NDArray x) {
        return SharedMemory.shareable(x);
    }
}
