package io.moxie.blas;

import ai.djl.ndarray.NDArray;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Stream;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * The host's one contact with OpenBLAS ({@code org.bytedeco:openblas} through JavaCPP): loading it and row-major
 * {@code sgemm}. Every matrix is a direct, native-order {@link FloatBuffer} whose element 0 is the matrix's first
 * element (slices, never a moved position, so buffers shared between threads are only read).
 *
 * <p>The BLAS-only binding ({@code openblas_nolapack}) is used: its JNI library is 0.3 MB instead of the 24 MB of the
 * LAPACK one, it links the same {@code libopenblas}, and it keeps libtorch's own {@code sgemm_} bound to its MKL
 * (checked with {@code LD_DEBUG=bindings}), so loading it changes nothing for DJL. JavaCPP's loader loads the library
 * once per JVM and caches it; nothing is kept here.
 *
 * <p>OpenBLAS is set to one thread per call, process-wide: every Moxie GEMM runs as independent single-threaded parts
 * on the fork-join pool ({@link Parts}), so there is one pool of GEMM threads, never OpenBLAS's pthreads spinning
 * against the fork-join workers or libtorch's OpenMP pool (docs/PERFORMANCE.md, "One pool for the GEMMs").
 */
public final class OpenBlas {
    private OpenBlas() {
    }

    /** Returns whether OpenBLAS is (or could now be) loaded; false if the natives are missing or cannot load. */
    public static boolean available() {
        try {
            load();
            return true;
        } catch (LinkageError | RuntimeException e) {
            return false; // UnsatisfiedLinkError without natives for this platform, NoClassDefFoundError without JavaCPP
        }
    }

    /**
     * Returns whether GEMMs on {@code array}'s memory can run here: a dense float32 CPU array that a Java buffer can
     * address (under 2 GiB), and OpenBLAS loadable. Otherwise the caller computes on the engine.
     */
    public static boolean availableFor(NDArray array) {
        return SharedMemory.shareable(array) && available();
    }

    /**
     * Loads OpenBLAS if it is not loaded yet.
     *
     * @param who what needs it, for the message
     * @param instead what to use instead, for the message
     * @throws IllegalStateException saying why it cannot be loaded
     */
    public static void require(String who, String instead) {
        try {
            load();
        } catch (LinkageError | RuntimeException e) {
            throw new IllegalStateException(who + ": OpenBLAS (org.bytedeco:openblas on the host class path) cannot be "
                    + "loaded: " + e + ". " + instead, e);
        }
    }

    private static void load() {
        Throwable failure = Native.FAILURE;
        if (failure instanceof LinkageError e) {
            throw e;
        }
        if (failure instanceof RuntimeException e) {
            throw e;
        }
    }

    /**
     * Loads OpenBLAS and sets its thread count exactly once per JVM (class initialisation is thread-safe and runs
     * once): OpenBLAS' thread setting is process-wide and not safe while other threads run GEMMs, so calling it on
     * every availability check, as stages are built beside requests being served, could corrupt its memory.
     */
    private static final class Native {
        static final Throwable FAILURE = init();

        private static Throwable init() {
            try {
                Loader.load(openblas_nolapack.class);
                org.bytedeco.openblas.presets.openblas_nolapack.blas_set_num_threads(1);
                return null;
            } catch (LinkageError | RuntimeException e) {
                return e; // UnsatisfiedLinkError without natives for this platform, NoClassDefFoundError without JavaCPP
            }
        }
    }

    /**
     * Returns whether the loaded OpenBLAS runs small products ({@code M·N·K <= 10⁶}) on its small-matrix kernels,
     * which read the operands in place instead of packing them ({@link ThinProduct}). OpenBLAS does not say which
     * kernels it chose, so this follows its own choice: the x86-64 builds (dynamic architecture) have those kernels
     * for the AVX-512 cores (Skylake-X, Cooper Lake, Sapphire Rapids, and Zen 4, which gets theirs), which they pick
     * when the CPU has AVX-512 unless {@code OPENBLAS_CORETYPE} names another core. Elsewhere (AVX2 cores, other
     * architectures, no {@code /proc/cpuinfo}) false: cut into pieces, the packed products there took about 1.3x one
     * product's time.
     */
    public static boolean hasSmallMatrixKernels() {
        return SmallKernels.PRESENT;
    }

    /** Decided once per JVM: the CPU and the environment do not change. */
    private static final class SmallKernels {
        static final boolean PRESENT = detect();

        private static boolean detect() {
            String core = System.getenv("OPENBLAS_CORETYPE");
            if (core != null && !core.isBlank()) {
                String name = core.trim().toLowerCase(Locale.ROOT);
                return name.equals("skylakex") || name.equals("cooperlake") || name.equals("sapphirerapids");
            }
            String arch = System.getProperty("os.arch");
            if (!"amd64".equals(arch) && !"x86_64".equals(arch)) {
                return false;
            }
            try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
                return lines.filter(l -> l.startsWith("flags")).findFirst()
                        .map(l -> Arrays.asList(l.split("\\s+")).contains("avx512f")).orElse(false);
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }
    }

    /**
     * {@code C = alpha · A · Bᵀ + beta · C}, row-major: {@code A [m, k]} (row stride {@code lda}), {@code B [n, k]}
     * (row stride {@code ldb}: PyTorch's {@code [out, in]} weight layout, used as stored), {@code C [m, n]} (row
     * stride {@code ldc}).
     */
    public static void gemmNT(int m, int n, int k, float alpha, FloatBuffer a, int lda, FloatBuffer b, int ldb,
                              float beta, FloatBuffer c, int ldc) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                openblas_nolapack.CblasTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /** {@code C = alpha · A · B + beta · C}, row-major: {@code A [m, k]}, {@code B [k, n]}, {@code C [m, n]}. */
    public static void gemmNN(int m, int n, int k, float alpha, FloatBuffer a, int lda, FloatBuffer b, int ldb,
                              float beta, FloatBuffer c, int ldc) {
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans,
                openblas_nolapack.CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
}
