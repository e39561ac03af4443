package io.moxie.encoders.pointcloud;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * The point-cloud stages' contact with OpenBLAS ({@code org.bytedeco:openblas} through JavaCPP, on the host class path
 * and exported by it): loading it, row-major single-threaded {@code sgemm}, and views of DJL arrays' own memory to run
 * it on. On this project's AMD machines libtorch's MKL takes no AVX-512 path and OpenBLAS's GEMM is about twice as fast
 * (notes/platform-facts.md §7). The BLAS-only binding leaves libtorch's own {@code sgemm_} bound to MKL. Like the
 * other OpenBLAS users in Moxie, it sets OpenBLAS to one thread per call, process-wide; callers split their GEMMs into
 * independent parts themselves ({@link io.moxie.encoders.pointcloud.geometry.ParallelLoop}). Stateless.
 */
public final class Blas {
    private Blas() {
    }

    /**
     * Returns whether GEMMs on {@code array}'s device can run on OpenBLAS: a CPU array, and OpenBLAS loadable (the
     * bundle imports {@code org.bytedeco.*} optionally, so without it everything runs on DJL).
     */
    public static boolean availableFor(NDArray array) {
        if (!Device.Type.CPU.equals(array.getDevice().getDeviceType())) {
            return false;
        }
        try {
            Loader.load(openblas_nolapack.class);
            org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(1);
            return true;
        } catch (LinkageError | RuntimeException e) {
            return false; // NoClassDefFoundError without org.bytedeco.* exported, UnsatisfiedLinkError without natives
        }
    }

    /** {@code C = alpha · A · Bᵀ + beta · C}, row-major, {@code A [m, k]}, {@code B [n, k]}, {@code C [m, n]}. */
    public static void gemmNT(int m, int n, int k, float alpha, FloatBuffer a, int lda, FloatBuffer b, int ldb,
                              float beta, FloatBuffer c, int ldc) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                openblas_nolapack.CblasTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /** {@code C = alpha · A · B + beta · C}, row-major, {@code A [m, k]}, {@code B [k, n]}, {@code C [m, n]}. */
    public static void gemmNN(int m, int n, int k, float alpha, FloatBuffer a, int lda, FloatBuffer b, int ldb,
                              float beta, FloatBuffer c, int ldc) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                openblas_nolapack.CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /**
     * Returns a float32 CPU array's elements, row-major, as a direct buffer sharing its memory (a non-contiguous array
     * is first made contiguous by the engine). The buffer must not outlive the array.
     */
    public static FloatBuffer floats(NDArray array) {
        ByteBuffer bytes = array.toByteBuffer(true);
        if (!bytes.isDirect()) {
            throw new IllegalStateException("array on " + array.getDevice() + " does not share its memory");
        }
        return bytes.order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** Returns the floats of {@code buffer} from {@code offset} on, as a buffer whose element 0 is there. */
    public static FloatBuffer at(FloatBuffer buffer, long offset) {
        return buffer.slice(Math.toIntExact(offset), buffer.capacity() - Math.toIntExact(offset));
    }
}
