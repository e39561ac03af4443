package io.moxie.blas;

import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * {@code C = A · B} for a thin {@code B} (a few dozen columns, e.g. the rows one MoE expert receives, transposed), as
 * pieces small enough for OpenBLAS' small-matrix kernels: those compute straight from {@code A} and {@code B} where the
 * general {@code sgemm} first packs both into buffers, and with a thin {@code B} that packing of the whole of {@code A}
 * (a weight streamed from memory) costs about as much as the arithmetic. OpenBLAS takes its small-matrix path when
 * {@code M·N·K <= 10⁶} (its {@code *_small_kernel_permit}, in builds that have the kernels: the AVX-512 ones that Zen 4
 * and Intel since Skylake-X get), so {@code A} is cut into row blocks of at most {@link #MAX_ROWS} and {@code K} into
 * chunks of {@link #K_CHUNK} (or half that for wider {@code B}), the chunks after the first adding onto {@code C}
 * ({@code beta = 1}). Measured on the Mixtral bench's experts (32 rows each, 5.64 GFLOP, two parts): 33 ms against
 * 49 ms for one {@code sgemm} per product. A {@code B} too wide for useful pieces (over about 240 columns, where the
 * packing is paid back anyway), or an OpenBLAS without those kernels ({@link OpenBlas#hasSmallMatrixKernels}: there
 * the pieces took 61 ms against 48), runs as one {@code sgemm}. Stateless.
 */
public final class ThinProduct {
    /** OpenBLAS' limit of {@code M·N·K} for its small-matrix kernels. */
    private static final double SMALL_LIMIT = 1e6;
    /** Row blocks of {@code A}: 48 measured best (against 32 and 64) at 32 columns. */
    private static final int MAX_ROWS = 48;
    /** Row blocks below this many rows are too thin to be worth a call each. */
    private static final int MIN_ROWS = 16;
    private static final int K_CHUNK = 512;

    private ThinProduct() {
    }

    /**
     * {@code C [m, n] = A [m, k] · B [k, n]}, row-major, {@code A} with row stride {@code lda}, {@code B} and {@code C}
     * dense ({@code n} floats a row); element 0 of each buffer is the matrix's first element.
     */
    public static void multiply(int m, int n, int k, FloatBuffer a, int lda, FloatBuffer b, FloatBuffer c) {
        // OpenBLAS reads and writes these buffers by address: a size mistake must fail here, not corrupt memory
        if (m < 0 || n < 0 || k < 0 || lda < k) {
            throw new IllegalArgumentException("product [" + m + " x " + k + "] · [" + k + " x " + n + "] with lda " + lda);
        }
        if (m == 0 || n == 0) {
            return;
        }
        Objects.checkFromIndexSize(0, (long) (m - 1) * lda + k, a.capacity());
        Objects.checkFromIndexSize(0, (long) k * n, b.capacity());
        Objects.checkFromIndexSize(0, (long) m * n, c.capacity());
        if (k == 0) {
            c.put(0, new float[m * n]); // what sgemm gives with beta 0; the pieces below would leave C unwritten
            return;
        }
        // full K chunks while they leave blocks of at least 2 MIN_ROWS rows (up to 61 columns), else half ones
        int kc = n * (double) K_CHUNK * 2 * MIN_ROWS <= SMALL_LIMIT ? K_CHUNK : K_CHUNK / 2;
        int rows = Math.min(MAX_ROWS, (int) (SMALL_LIMIT / ((double) n * kc)) / MIN_ROWS * MIN_ROWS);
        if (rows < MIN_ROWS || !OpenBlas.hasSmallMatrixKernels()) {
            OpenBlas.gemmNN(m, n, k, 1f, a, lda, b, n, 0f, c, n);
            return;
        }
        for (int r = 0; r < m; r += rows) {
            int mr = Math.min(rows, m - r);
            FloatBuffer cBlock = SharedMemory.at(c, (long) r * n);
            for (int k0 = 0; k0 < k; k0 += kc) {
                OpenBlas.gemmNN(mr, n, Math.min(kc, k - k0), 1f, SharedMemory.at(a, (long) r * lda + k0), lda,
                        SharedMemory.at(b, (long) k0 * n), n, k0 == 0 ? 0f : 1f, cBlock, n);
            }
        }
    }
}
