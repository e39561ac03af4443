package io.moxie.experts.blas;

import io.moxie.api.MoxieException;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * The one place this bundle touches OpenBLAS ({@code org.bytedeco:openblas}, JavaCPP, on the host class path): loading
 * it and row-major {@code sgemm}. Every matrix is a direct, native-order {@link FloatBuffer} whose element 0 is the
 * matrix's first element (slices, never a moved position, so buffers shared between threads are only read).
 *
 * <p>The BLAS-only binding ({@code openblas_nolapack}) is used: its JNI library is 0.3 MB instead of the 24 MB of the
 * LAPACK one, it links the same {@code libopenblas}, and it keeps libtorch's own {@code sgemm_} bound to its MKL
 * (checked with {@code LD_DEBUG=bindings}), so loading it changes nothing for DJL. The library is loaded once per JVM
 * by JavaCPP's loader, which caches it; nothing is kept here.
 *
 * <p>OpenBLAS is set to one thread per call, process-wide: Moxie's OpenBLAS users (this bank, the CLIP tower's
 * attention) run independent single-threaded GEMMs on their own {@link Parts} instead, which stays fast when the cores
 * are shared (see {@link Parts}); concurrent multi-threaded calls would also contend for OpenBLAS's one thread pool.
 */
final class OpenBlas {
    private OpenBlas() {
    }

    /**
     * Loads OpenBLAS if it is not loaded yet.
     *
     * @param who what needs it, for the message
     * @throws MoxieException saying why it cannot be loaded (packages not exported by the host, native library
     *     missing or unloadable)
     */
    static void require(String who) {
        try {
            Loader.load(openblas_nolapack.class);
            org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(1);
        } catch (LinkageError | RuntimeException e) {
            // NoClassDefFoundError when the host does not export org.bytedeco.*, UnsatisfiedLinkError when the
            // native library is missing for this platform or cannot be extracted
            throw new MoxieException(who + ": OpenBLAS (org.bytedeco:openblas on the host class path) cannot be "
                    + "loaded: " + e + ". Use the expert bank 'grouped-mlp' instead, which needs only DJL", e);
        }
    }

    /**
     * {@code C = alpha · A · Bᵀ + beta · C}, row-major: {@code A [m, k]} (row stride {@code lda}), {@code B [n, k]}
     * (row stride {@code ldb}, PyTorch's {@code [out, in]} weight layout), {@code C [m, n]} (row stride {@code ldc}).
     */
    static void gemmNT(int m, int n, int k, float alpha, FloatBuffer a, int lda, FloatBuffer b, int ldb, float beta,
                       FloatBuffer c, int ldc) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                openblas_nolapack.CblasTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /** {@code C = alpha · A · B + beta · C}, row-major: {@code A [m, k]}, {@code B [k, n]}, {@code C [m, n]}. */
    static void gemmNN(int m, int n, int k, float alpha, FloatBuffer a, int lda, FloatBuffer b, int ldb, float beta,
                       FloatBuffer c, int ldc) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                openblas_nolapack.CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
}
