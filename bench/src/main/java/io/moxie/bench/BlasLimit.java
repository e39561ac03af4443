package io.moxie.bench;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.blas.OpenBlas;
import io.moxie.blas.Parts;
import io.moxie.blas.SharedMemory;
import java.nio.FloatBuffer;

/**
 * The limit: (about) a given FLOP count through OpenBLAS {@code cblas_sgemm}, {@code [m x k] @ [k x n]} with {@code n}
 * chosen to match, the shape the reference's {@code bench} uses for its same-FLOP matmul. Two ways to use the cores:
 * one call with one OpenBLAS thread per core ({@link Mode#THREADED}, what "one GEMM" usually means), or one
 * single-threaded call per core on its share of the rows from Java threads ({@link Mode#SPLIT}, how Moxie's OpenBLAS
 * users run). The report takes the faster. Matrices are DJL arrays shared with OpenBLAS, like the bank's.
 */
final class BlasLimit {
    /** How the cores are used. */
    enum Mode { THREADED, SPLIT }

    private final int m;
    private final int k;
    private final int n;
    private final boolean transposedB;
    private final Mode mode;
    private final FloatBuffer a;
    private final FloatBuffer b;
    private final FloatBuffer c;

    /** @param transposedB B stored {@code [n, k]} (weights layout, {@code A · Bᵀ}) instead of {@code [k, n]} */
    BlasLimit(NDManager manager, int m, int k, double flops, boolean transposedB, Mode mode) {
        OpenBlas.require("the limit GEMM", "The benchmark needs org.bytedeco:openblas for this platform.");
        this.m = m;
        this.k = k;
        this.n = (int) Math.max(1, Math.round(flops / (2.0 * m * k)));
        this.transposedB = transposedB;
        this.mode = mode;
        this.a = SharedMemory.floats(manager.randomNormal(new Shape(m, k)));
        this.b = SharedMemory.floats(manager.randomNormal(transposedB ? new Shape(n, k) : new Shape(k, n)));
        this.c = SharedMemory.floats(manager.create(new Shape(m, n)));
    }

    void run() {
        int cores = Runtime.getRuntime().availableProcessors();
        if (mode == Mode.THREADED) {
            // Moxie's OpenBLAS users leave OpenBLAS at one thread: give this call all cores, then put it back
            org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(cores);
            gemm(0, m);
            org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(1);
            return;
        }
        Parts.run(cores, p -> gemm(Parts.bound(m, p, cores), Parts.bound(m, p + 1, cores)));
    }

    private void gemm(int first, int end) {
        FloatBuffer rows = SharedMemory.rows(a, first, end - first, k);
        FloatBuffer out = SharedMemory.rows(c, first, end - first, n);
        if (transposedB) {
            OpenBlas.gemmNT(end - first, n, k, 1f, rows, k, b, k, 0f, out, n);
        } else {
            OpenBlas.gemmNN(end - first, n, k, 1f, rows, k, b, n, 0f, out, n);
        }
    }

    /** Returns whether the call runs on OpenBLAS' own threads (which spin a while after it). */
    boolean threaded() {
        return mode == Mode.THREADED;
    }

    double flops() {
        return 2.0 * m * k * n;
    }

    String describe() {
        return "[" + m + "x" + k + "]@[" + k + "x" + n + "]" + (transposedB ? "ᵀ-stored B" : "")
                + (mode == Mode.THREADED ? ", 1 call, 1 OpenBLAS thread per core" : ", 1 single-threaded call per core");
    }
}
