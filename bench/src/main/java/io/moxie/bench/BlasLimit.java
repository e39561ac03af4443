package io.moxie.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinTask;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

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
        Loader.load(openblas_nolapack.class);
        this.m = m;
        this.k = k;
        this.n = (int) Math.max(1, Math.round(flops / (2.0 * m * k)));
        this.transposedB = transposedB;
        this.mode = mode;
        this.a = floats(manager.randomNormal(new Shape(m, k)));
        this.b = floats(manager.randomNormal(transposedB ? new Shape(n, k) : new Shape(k, n)));
        this.c = floats(manager.create(new Shape(m, n)));
    }

    private static FloatBuffer floats(NDArray array) {
        return array.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
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
        List<ForkJoinTask<?>> parts = new ArrayList<>();
        for (int p = 1; p < cores; p++) {
            int first = m * p / cores;
            int end = m * (p + 1) / cores;
            parts.add(ForkJoinTask.adapt(() -> gemm(first, end)).fork());
        }
        gemm(0, m / cores);
        parts.forEach(ForkJoinTask::join);
    }

    private void gemm(int first, int end) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                transposedB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans, end - first, n, k, 1f,
                a.slice(first * k, (end - first) * k), k, b, transposedB ? k : n, 0f, c.slice(first * n, (end - first) * n), n);
    }

    double flops() {
        return 2.0 * m * k * n;
    }

    String describe() {
        return "[" + m + "x" + k + "]@[" + k + "x" + n + "]" + (transposedB ? "ᵀ-stored B" : "")
                + (mode == Mode.THREADED ? ", 1 call, 1 OpenBLAS thread per core" : ", 1 single-threaded call per core");
    }
}
