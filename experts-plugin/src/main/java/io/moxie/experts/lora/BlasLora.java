package io.moxie.experts.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.blas.OpenBlas;
import io.moxie.blas.Parts;
import io.moxie.blas.SharedMemory;
import java.nio.FloatBuffer;

/**
 * The LoRA-MoE products beside the base projection on OpenBLAS, for a selection's {@code A = [A_1 … A_k]}
 * {@code [in, k·r]} and {@code B = [w_1 B_1; …; w_k B_k]} {@code [k·r, out]}: the unmerged delta added onto the base
 * output, and the merged weight. Parts over rows or output columns, GEMMs adding onto their target ({@code beta = 1}),
 * so no element-wise pass and nothing on libtorch's OpenMP pool. Stateless.
 */
final class BlasLora {
    /** Rows (or output columns) below which a part is not worth a core. */
    private static final int MIN_UNITS = 64;

    private BlasLora() {
    }

    /**
     * Returns {@code W' = W + (A · B)ᵀ} {@code [out, in]} in {@code target}: {@code W} copied, then
     * {@code W' += Bᵀ · Aᵀ} as one GEMM per part of output rows ({@code Bᵀ} is a small {@code [out, k·r]} copy made on
     * the host; {@code A} {@code [in, k·r]} is already the {@code [n, k]} operand a {@code CblasTrans} GEMM reads).
     *
     * @param base {@code [out, in]} float32 CPU
     */
    static NDArray merge(NDArray base, NDArray concatA, NDArray scaledB, NDManager target) {
        int out = Math.toIntExact(base.getShape().get(0));
        int in = Math.toIntExact(base.getShape().get(1));
        int rank = Math.toIntExact(concatA.getShape().get(1));
        int inner = Math.toIntExact(scaledB.getShape().get(1));
        if (inner != out) {
            throw new IllegalArgumentException("scaled B of " + scaledB.getShape() + " for a base of " + base.getShape());
        }
        NDArray merged = target.create(base.getShape());
        FloatBuffer w = SharedMemory.floats(base);
        FloatBuffer m = SharedMemory.floats(merged);
        FloatBuffer a = SharedMemory.floats(concatA);
        try (NDArray transposed = target.create(new Shape(out, rank))) {
            // Bᵀ [out, k·r] on the host: k·r·out floats, small beside W
            FloatBuffer b = SharedMemory.floats(scaledB);
            FloatBuffer bt = SharedMemory.floats(transposed);
            for (int j = 0; j < rank; j++) {
                for (int o = 0; o < out; o++) {
                    bt.put(o * rank + j, b.get(j * out + o));
                }
            }
            int parts = Parts.count(out, MIN_UNITS);
            Parts.run(parts, p -> {
                int r0 = Parts.bound(out, p, parts);
                int r1 = Parts.bound(out, p + 1, parts);
                if (r1 > r0) {
                    FloatBuffer rows = SharedMemory.rows(m, r0, r1 - r0, in);
                    rows.put(0, w, r0 * in, (r1 - r0) * in);
                    OpenBlas.gemmNT(r1 - r0, in, rank, 1f, SharedMemory.rows(bt, r0, r1 - r0, rank), rank, a, rank,
                            1f, rows, in);
                }
            });
        }
        return merged;
    }

    /**
     * Adds the unmerged delta onto the base output: {@code y += (x · A) · B}, the first product in parts over rows, the
     * second in parts over output columns.
     *
     * @param y {@code [T, out]} float32 CPU, modified in place
     * @param x {@code [T, in]}; the intermediate {@code [T, k·r]} lives in a sub-scope of its manager
     * @param concatA {@code [in, k·r]}, contiguous
     * @param scaledB {@code [k·r, out]}, contiguous
     */
    static void addTo(NDArray y, NDArray x, NDArray concatA, NDArray scaledB) {
        int rows = Math.toIntExact(x.getShape().get(0));
        int in = Math.toIntExact(x.getShape().get(1));
        int rank = Math.toIntExact(concatA.getShape().get(1));
        int out = Math.toIntExact(scaledB.getShape().get(1));
        if (rows == 0) {
            return;
        }
        FloatBuffer xs = SharedMemory.floats(x);
        FloatBuffer a = SharedMemory.floats(concatA);
        FloatBuffer b = SharedMemory.floats(scaledB);
        FloatBuffer ys = SharedMemory.floats(y);
        try (NDManager scratch = x.getManager().newSubManager()) {
            FloatBuffer t = SharedMemory.floats(scratch.create(new Shape(rows, rank)));
            int rowParts = Parts.count(rows, MIN_UNITS);
            Parts.run(rowParts, p -> {
                int r0 = Parts.bound(rows, p, rowParts);
                int r1 = Parts.bound(rows, p + 1, rowParts);
                if (r1 > r0) {
                    OpenBlas.gemmNN(r1 - r0, rank, in, 1f, SharedMemory.rows(xs, r0, r1 - r0, in), in, a, rank, 0f,
                            SharedMemory.rows(t, r0, r1 - r0, rank), rank);
                }
            });
            int columnParts = Parts.count(out, MIN_UNITS);
            Parts.run(columnParts, p -> {
                int c0 = Parts.bound(out, p, columnParts);
                int c1 = Parts.bound(out, p + 1, columnParts);
                if (c1 > c0) {
                    OpenBlas.gemmNN(rows, c1 - c0, rank, 1f, t, rank, SharedMemory.at(b, c0), out, 1f,
                            SharedMemory.at(ys, c0), out);
                }
            });
        }
    }
}
