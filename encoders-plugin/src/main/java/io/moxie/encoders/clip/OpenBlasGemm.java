package io.moxie.encoders.clip;

import ai.djl.ndarray.NDArray;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * This bundle's only contact with OpenBLAS ({@code org.bytedeco:openblas} through JavaCPP, on the host class path):
 * loading it, row-major {@code sgemm}, and views of DJL arrays' own memory to run it on. The BLAS-only binding
 * ({@code openblas_nolapack}) is used: it keeps libtorch's own {@code sgemm_} bound to its MKL (checked with
 * {@code LD_DEBUG=bindings}), so loading it changes nothing for DJL. Nothing is kept here: JavaCPP's loader loads
 * the library once per JVM. OpenBLAS is set to one thread per call, process-wide, as the experts plugin does: Moxie's
 * OpenBLAS users parallelise over independent parts themselves ({@link GemmParts}).
 */
final class OpenBlasGemm {
    private OpenBlasGemm() {
    }

    /** Returns whether OpenBLAS is (or could now be) loaded; false if the host lacks it or it cannot load. */
    static boolean available() {
        try {
            Loader.load(openblas_nolapack.class);
            org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(1);
            return true;
        } catch (LinkageError | RuntimeException e) {
            return false; // NoClassDefFoundError without org.bytedeco.* exported, UnsatisfiedLinkError without natives
        }
    }

    /** {@code C = alpha · A · Bᵀ + beta · C}, row-major, {@code A [m, k]}, {@code B [n, k]}, {@code C [m, n]}. */
    static void gemmNT(int m, int n, int k, float alpha, FloatBuffer a, int lda, FloatBuffer b, int ldb, float beta,
                       FloatBuffer c, int ldc) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                openblas_nolapack.CblasTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /** {@code C = alpha · A · B + beta · C}, row-major, {@code A [m, k]}, {@code B [k, n]}, {@code C [m, n]}. */
    static void gemmNN(int m, int n, int k, float alpha, FloatBuffer a, int lda, FloatBuffer b, int ldb, float beta,
                       FloatBuffer c, int ldc) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                openblas_nolapack.CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /**
     * Returns a float32 CPU array's elements, row-major, as a direct buffer sharing its memory (no copy; a
     * non-contiguous array is first made contiguous by the engine into a new array of its manager). The buffer must
     * not outlive the array.
     */
    static FloatBuffer floats(NDArray array) {
        return bytes(array).asFloatBuffer();
    }

    /** Returns the same memory as {@link #floats(NDArray)}, as native-order bytes (for the engine's own views). */
    static ByteBuffer bytes(NDArray array) {
        ByteBuffer bytes = array.toByteBuffer(true);
        if (!bytes.isDirect()) {
            throw new IllegalStateException("array on " + array.getDevice() + " does not share its memory");
        }
        return bytes.order(ByteOrder.nativeOrder());
    }

    /** Returns {@code length} floats of {@code buffer} from {@code offset}, as a buffer whose element 0 is there. */
    static FloatBuffer at(FloatBuffer buffer, long offset, long length) {
        return buffer.slice(Math.toIntExact(offset), Math.toIntExact(length));
    }
}
