package io.moxie.blas;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * SwiGLU's gating, {@code silu(gate) ⊙ up}, in place over the rows of a fused gate/up matrix {@code [rows, 2h]} (each
 * row: the {@code h} gate outputs, then the {@code h} up outputs, as one GEMM with the gate and up weights stacked
 * writes them): the product overwrites the gate half, which the down projection then reads with a row stride of
 * {@code 2h}, so nothing is copied. The same operations as {@code gate · sigmoid(gate) · up} in the engine.
 *
 * <p>Rows are processed in chunks of fewer than 32768 elements per operation, PyTorch's grain size: below it the engine
 * runs an element-wise kernel on the calling thread instead of waking its OpenMP pool, so a {@link Parts} part stays on
 * its own core (docs/PERFORMANCE.md, "One pool for the GEMMs"). Stateless.
 */
public final class GatedSilu {
    /** PyTorch's {@code at::internal::GRAIN_SIZE}: element-wise kernels on fewer elements run serially. */
    private static final int SERIAL_ELEMENTS = 32767;

    private GatedSilu() {
    }

    /**
     * Gates rows {@code [first, first + rows)} of {@code matrix}, row-major float32 {@code [*, 2·half]}.
     *
     * @param manager where the chunk views and temporaries live; the caller closes it
     */
    public static void applyInPlace(ByteBuffer matrix, int first, int rows, int half, NDManager manager) {
        int width = 2 * half;
        int chunkRows = Math.max(1, SERIAL_ELEMENTS / half);
        for (int r = first; r < first + rows; r += chunkRows) {
            int n = Math.min(chunkRows, first + rows - r);
            ByteBuffer bytes = matrix.slice(Math.multiplyExact(r, width * Float.BYTES), n * width * Float.BYTES)
                    .order(ByteOrder.nativeOrder());
            // views of the chunk, not copies: the engine reads and writes the matrix itself
            try (NDArray chunk = manager.create(bytes, new Shape(n, width), DataType.FLOAT32);
                 NDList halves = chunk.split(2, 1);
                 NDArray sigmoid = Activation.sigmoid(halves.get(0))) {
                halves.get(0).muli(sigmoid).muli(halves.get(1));
            }
        }
    }
}
