package io.moxie.blas;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * {@code y = x · Wᵀ} (no bias) on OpenBLAS, {@code W [out, in]} used as the checkpoint stores it ({@link #of}) or
 * transposed where that reads faster ({@link #fastestLayout}): a decoder's
 * projections, whose decode steps multiply a single row. One row is a matrix-vector product ({@code sgemv}), which
 * reads the weight once; a one-row {@code sgemm} would first pack the whole weight into a copy, about twice the
 * memory traffic of a step that is bound by it. Several rows run as {@code sgemm} ({@code CblasTrans}).
 *
 * <p>Parts ({@link Parts}): over output columns (each part reads only its rows of {@code W}) when every part still gets
 * enough of them, otherwise over input rows. The input may have a row stride wider than {@code in} (the gate half of a
 * fused gate/up matrix, read in place). Holds a view of the weight, owned by the caller's (component's or request's)
 * manager, which must outlive this map; immutable, hence thread-safe. The caller checks
 * {@link OpenBlas#availableFor(NDArray)} first.
 */
public final class BlasProjection {
    /** Fewer output columns (or rows) than this per part and the split costs more than it saves. */
    private static final int MIN_UNITS = 64;
    /**
     * Fewer weight elements than this (8 MB) per part of a one-row product and it runs as one part: at the decode
     * bench's sizes (up to 1.4 M elements) one single-threaded {@code sgemv} per weight took 8.5-10.3 ms for a whole
     * step's products against 10.0-13.4 ms split in two (fork, join and a second stream of memory reads on two
     * vCPUs that shared their FP unit; 2026-11-28, load 2.3-2.5).
     */
    private static final int MIN_GEMV_ELEMENTS = 1 << 21;
    /** Rows of the weight per block of {@link #transpose}: 64 rows of 4096 floats are 1 MB, the L2 of this machine. */
    private static final int TRANSPOSE_BLOCK = 64;

    private final FloatBuffer weight;
    private final int in;
    private final int out;
    // whether the weight is stored transposed, [in, out]
    private final boolean transposed;

    private BlasProjection(FloatBuffer weight, int in, int out, boolean transposed) {
        this.weight = weight;
        this.in = in;
        this.out = out;
        this.transposed = transposed;
    }

    /** Returns the map of a float32 CPU weight {@code [out, in]}. */
    public static BlasProjection of(NDArray weight) {
        Shape shape = weight.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("projection weight must be [out, in], got " + shape);
        }
        return new BlasProjection(SharedMemory.floats(weight), Math.toIntExact(shape.get(1)),
                Math.toIntExact(shape.get(0)), false);
    }

    /**
     * Returns the map of a float32 CPU weight {@code [out, in]} in the layout whose one-row product is faster: as
     * stored ({@link #of}) when {@code out <= in}, otherwise a transposed copy {@code [in, out]}, a new array in
     * {@code weight}'s manager, and then {@code weight} is closed (the caller hands it over). OpenBLAS'
     * row-major {@code sgemv} over a wide, short weight (dot products of rows of 512) read the decode bench's weights
     * at about 13 GB/s, the transposed product (column updates) at about 21 GB/s: 8 copies of 2752x512 took 3.2-3.4 ms
     * against 1.7-2.0 ms, of 1536x512 1.2-1.4 ms against 0.8 ms; of 512x1376 it was slower (0.76-0.82 ms against
     * 0.89-0.93 ms), hence only {@code out > in} (2026-11-28, load 1.5-1.7). At a 7B/70B model's widths the
     * transposed product is no slower: Debian's OpenBLAS, one thread, 22016x4096 14.3 against 15.1 ms, 12288x4096
     * 8.6 against 9.3 ms, 28672x8192 39.8 against 46.5 ms.
     */
    public static BlasProjection fastestLayout(NDArray weight) {
        Shape shape = weight.getShape();
        if (shape.dimension() != 2 || shape.get(0) <= shape.get(1)) {
            return of(weight);
        }
        int out = Math.toIntExact(shape.get(0));
        int in = Math.toIntExact(shape.get(1));
        FloatBuffer w = SharedMemory.floats(weight);
        NDArray copy = weight.getManager().create(new Shape(in, out));
        FloatBuffer t = SharedMemory.floats(copy);
        transpose(w, out, in, t);
        weight.close();
        return new BlasProjection(t, in, out, true);
    }

    /**
     * {@code t [in, out] = wᵀ} for {@code w [out, in]}, in blocks of {@link #TRANSPOSE_BLOCK} rows of {@code w} through
     * heap arrays, so that every write to {@code t} is a run of that many floats, not one float {@code out} floats
     * away from the last (a 7B model's gate/up is 90 M floats: one cache miss each would add seconds to its load).
     */
    private static void transpose(FloatBuffer w, int out, int in, FloatBuffer t) {
        float[] rows = new float[TRANSPOSE_BLOCK * in];
        float[] column = new float[TRANSPOSE_BLOCK];
        for (int o0 = 0; o0 < out; o0 += TRANSPOSE_BLOCK) {
            int n = Math.min(TRANSPOSE_BLOCK, out - o0);
            w.get(Math.toIntExact((long) o0 * in), rows, 0, n * in);
            for (int i = 0; i < in; i++) {
                for (int r = 0; r < n; r++) {
                    column[r] = rows[r * in + i];
                }
                t.put(Math.toIntExact((long) i * out + o0), column, 0, n);
            }
        }
    }

    public int inputSize() {
        return in;
    }

    public int outputSize() {
        return out;
    }

    /**
     * Applies the map to {@code x [..., in]}; the result {@code [..., out]} is a new array in {@code x}'s manager,
     * {@code x} is not modified.
     */
    public NDArray apply(NDArray x) {
        Shape shape = x.getShape();
        if (shape.dimension() == 0 || shape.get(shape.dimension() - 1) != in) {
            throw new IllegalArgumentException("projection of width " + in + " applied to " + shape);
        }
        long[] dims = shape.getShape().clone(); // Shape hands out its own array
        dims[dims.length - 1] = out;
        NDArray y = x.getManager().create(new Shape(dims));
        apply(SharedMemory.floats(x), Math.toIntExact(shape.size() / in), in, SharedMemory.floats(y));
        return y;
    }

    /**
     * {@code y [rows, out] = x [rows, in] · Wᵀ}, {@code x}'s rows {@code stride >= in} floats apart, {@code y} dense;
     * in parts, returning when all are done.
     */
    public void apply(FloatBuffer x, int rows, int stride, FloatBuffer y) {
        if (rows == 0) {
            return;
        }
        if (rows == 1) {
            int parts = Parts.count(Math.min(out / MIN_UNITS, (long) out * in / MIN_GEMV_ELEMENTS), 1);
            Parts.run(parts, p -> gemv(x, y, Parts.bound(out, p, parts), Parts.bound(out, p + 1, parts)));
        } else if (Parts.count(out, MIN_UNITS) > 1 || Parts.count(rows, MIN_UNITS) == 1) {
            int parts = Parts.count(out, MIN_UNITS);
            Parts.run(parts, p -> columns(x, rows, stride, y, Parts.bound(out, p, parts), Parts.bound(out, p + 1, parts)));
        } else {
            int parts = Parts.count(rows, MIN_UNITS);
            Parts.run(parts, p -> rows(x, stride, y, Parts.bound(rows, p, parts), Parts.bound(rows, p + 1, parts)));
        }
    }

    /** Outputs {@code [c0, c1)} of a one-row product: rows {@code c0 .. c1-1} of {@code W} times the vector. */
    private void gemv(FloatBuffer x, FloatBuffer y, int c0, int c1) {
        if (c1 == c0) {
            return;
        }
        if (transposed) {
            openblas_nolapack.cblas_sgemv(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasTrans, in, c1 - c0,
                    1f, SharedMemory.at(weight, c0), out, SharedMemory.at(x, 0, in), 1,
                    0f, SharedMemory.at(y, c0, c1 - c0), 1);
            return;
        }
        openblas_nolapack.cblas_sgemv(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans, c1 - c0, in,
                1f, SharedMemory.at(weight, (long) c0 * in, (long) (c1 - c0) * in), in, SharedMemory.at(x, 0, in), 1,
                0f, SharedMemory.at(y, c0, c1 - c0), 1);
    }

    /** Columns {@code [c0, c1)} of {@code y}, all rows. */
    private void columns(FloatBuffer x, int rows, int stride, FloatBuffer y, int c0, int c1) {
        if (c1 == c0) {
            return;
        }
        int width = c1 - c0;
        if (transposed) {
            OpenBlas.gemmNN(rows, width, in, 1f, x, stride, SharedMemory.at(weight, c0), out,
                    0f, SharedMemory.at(y, c0, (long) (rows - 1) * out + width), out);
            return;
        }
        OpenBlas.gemmNT(rows, width, in, 1f, x, stride, SharedMemory.at(weight, (long) c0 * in, (long) width * in), in,
                0f, SharedMemory.at(y, c0, (long) (rows - 1) * out + width), out);
    }

    /** Rows {@code [r0, r1)} of {@code y}, all columns. */
    private void rows(FloatBuffer x, int stride, FloatBuffer y, int r0, int r1) {
        if (r1 == r0) {
            return;
        }
        if (transposed) {
            OpenBlas.gemmNN(r1 - r0, out, in, 1f, SharedMemory.rows(x, r0, r1 - r0, stride), stride, weight, out,
                    0f, SharedMemory.rows(y, r0, r1 - r0, out), out);
            return;
        }
        OpenBlas.gemmNT(r1 - r0, out, in, 1f, SharedMemory.rows(x, r0, r1 - r0, stride), stride, weight, in,
                0f, SharedMemory.rows(y, r0, r1 - r0, out), out);
    }
}
