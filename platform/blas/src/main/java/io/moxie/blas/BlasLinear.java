package io.moxie.blas;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import org.bytedeco.openblas.global.openblas_nolapack;

/**
 * {@code y = alpha · x · Wᵀ + b} over the last axis on OpenBLAS, {@code W [out, in]} used as the checkpoint stores it
 * ({@link #of}: {@code CblasTrans}, the fastest layout measured for OpenBLAS here for several rows, and no copy of the
 * weights) or transposed where a one-row product reads faster ({@link #fastestLayout}). The bias (optional) is written
 * into {@code y} first and the product adds onto it ({@code beta = 1}), so there is no separate pass.
 *
 * <p>One row is a matrix-vector product ({@code sgemv}), which reads the weight once; a one-row {@code sgemm} would
 * first pack the whole weight into a copy, about twice the memory traffic of a decode step, which is bound by it
 * (one row of an encoder's map, 1x1024 to 4096 with bias: median 0.25 ms as {@code sgemv} against 1.9 ms as
 * {@code sgemm} in parts over columns, quartiles 0.18-0.37 against 1.8-4.4 ms; 2026-11-28, load 4-5).
 * Several rows run as {@code sgemm}, in {@link Parts}: over output columns (each part packs only its share of the
 * weights and multiplies all rows) or over rows, as the map's {@link Split} says when the columns are too few for a
 * part per core. The input may have a row stride wider than {@code in} (the gate half of a fused gate/up matrix, read
 * in place).
 *
 * <p>Holds a view of the weight, owned by the caller's (component's or request's) manager, which must outlive this
 * map, and a heap copy of the bias; immutable, hence thread-safe. The caller checks
 * {@link OpenBlas#availableFor(NDArray)} first.
 */
public final class BlasLinear {
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

    /**
     * How a product of several rows is cut into parts when its output columns cannot give every core a part of
     * {@value #MIN_UNITS}. The two rules differ only on 3 or more cores, for {@code 128 <= out < 64 · cores}: on 1 or
     * 2 cores they cut every product the same way, so they could not be measured against each other here, and each
     * family of callers keeps the rule it had.
     */
    public enum Split {
        /**
         * Over rows then, so that every core gets a part: maps over hundreds of tokens or thousands of points (the
         * encoders, a router), bound by arithmetic.
         */
        FILL_CORES,
        /**
         * Over output columns still whenever they make two parts (or the rows would make only one), so that each part
         * reads only its share of the weight: a decoder's projections over a prompt's rows, bound by reading it.
         */
        SHARE_WEIGHT
    }

    private final FloatBuffer weight;
    private final float[] bias;
    private final int in;
    private final int out;
    // whether the weight is stored transposed, [in, out]
    private final boolean transposed;
    private final Split split;

    private BlasLinear(FloatBuffer weight, float[] bias, int in, int out, boolean transposed, Split split) {
        this.weight = weight;
        this.bias = bias;
        this.in = in;
        this.out = out;
        this.transposed = transposed;
        this.split = split;
    }

    /**
     * Returns the map of a float32 CPU weight {@code [out, in]}, as stored, and an optional bias {@code [out]} (null
     * for none) scaled by {@code biasScale}.
     */
    public static BlasLinear of(NDArray weight, NDArray bias, float biasScale, Split split) {
        Shape shape = checkedShape(weight);
        return new BlasLinear(SharedMemory.floats(weight), heapBias(bias, shape, biasScale),
                Math.toIntExact(shape.get(1)), Math.toIntExact(shape.get(0)), false, split);
    }

    /** Returns the map of a weight {@code [out, in]}, as stored, and an optional bias (null for none). */
    public static BlasLinear of(NDArray weight, NDArray bias, Split split) {
        return of(weight, bias, 1f, split);
    }

    /**
     * Returns the map of a float32 CPU weight {@code [out, in]} and an optional bias (null for none) in the layout
     * whose one-row product is faster: as stored ({@link #of}) when {@code out <= in}, otherwise a transposed copy
     * {@code [in, out]}, a new array in {@code weight}'s manager, and then {@code weight} is closed (the caller hands
     * it over). OpenBLAS' row-major {@code sgemv} over a wide, short weight (dot products of rows of 512) read the
     * decode bench's weights at about 13 GB/s, the transposed product (column updates) at about 21 GB/s: 8 copies of
     * 2752x512 took 3.2-3.4 ms against 1.7-2.0 ms, of 1536x512 1.2-1.4 ms against 0.8 ms; of 512x1376 it was slower
     * (0.76-0.82 ms against 0.89-0.93 ms), hence only {@code out > in} (2026-11-28, load 1.5-1.7). At a 7B/70B model's
     * widths the transposed product is no slower: Debian's OpenBLAS, one thread, 22016x4096 14.3 against 15.1 ms,
     * 12288x4096 8.6 against 9.3 ms, 28672x8192 39.8 against 46.5 ms.
     */
    public static BlasLinear fastestLayout(NDArray weight, NDArray bias, Split split) {
        Shape shape = checkedShape(weight);
        if (shape.get(0) <= shape.get(1)) {
            return of(weight, bias, split);
        }
        float[] b = heapBias(bias, shape, 1f);
        int out = Math.toIntExact(shape.get(0));
        int in = Math.toIntExact(shape.get(1));
        NDArray copy = weight.getManager().create(new Shape(in, out));
        FloatBuffer t = SharedMemory.floats(copy);
        transpose(SharedMemory.floats(weight), out, in, t);
        weight.close();
        return new BlasLinear(t, b, in, out, true, split);
    }

    private static Shape checkedShape(NDArray weight) {
        Shape shape = weight.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("linear weight must be [out, in], got " + shape);
        }
        return shape;
    }

    private static float[] heapBias(NDArray bias, Shape weight, float scale) {
        if (bias == null) {
            return null;
        }
        float[] b = bias.toFloatArray();
        if (b.length != weight.get(0)) {
            throw new IllegalArgumentException("bias of " + b.length + " for a weight " + weight);
        }
        for (int i = 0; i < b.length && scale != 1f; i++) {
            b[i] *= scale;
        }
        return b;
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
            throw new IllegalArgumentException("linear map of width " + in + " applied to " + shape);
        }
        long[] dims = shape.getShape().clone(); // Shape hands out its own array
        dims[dims.length - 1] = out;
        NDArray y = x.getManager().create(new Shape(dims));
        apply(SharedMemory.floats(x), Math.toIntExact(shape.size() / in), in, 1f, SharedMemory.floats(y));
        return y;
    }

    /**
     * {@code y [rows, out] = alpha · x [rows, in] · Wᵀ + b}, {@code x}'s rows {@code stride >= in} floats apart,
     * {@code y} dense; in parts, returning when all are done.
     */
    public void apply(FloatBuffer x, int rows, int stride, float alpha, FloatBuffer y) {
        if (stride < in) {
            throw new IllegalArgumentException("row stride " + stride + " below the width " + in);
        }
        if (rows == 0) {
            return;
        }
        if (rows == 1) {
            int parts = Parts.count(Math.min(out / MIN_UNITS, (long) out * in / MIN_GEMV_ELEMENTS), 1);
            Parts.run(parts, p -> gemv(x, alpha, y, Parts.bound(out, p, parts), Parts.bound(out, p + 1, parts)));
        } else if (overColumns(rows)) {
            int parts = Parts.count(out, MIN_UNITS);
            Parts.run(parts, p -> block(x, stride, alpha, y, 0, rows, Parts.bound(out, p, parts),
                    Parts.bound(out, p + 1, parts)));
        } else {
            int parts = Parts.count(rows, MIN_UNITS);
            Parts.run(parts, p -> block(x, stride, alpha, y, Parts.bound(rows, p, parts),
                    Parts.bound(rows, p + 1, parts), 0, out));
        }
    }

    /** Whether a product of several rows runs in parts over output columns rather than over rows. */
    private boolean overColumns(int rows) {
        int columnParts = Parts.count(out, MIN_UNITS);
        return switch (split) {
            // one part (a single core) is the same product either way
            case FILL_CORES -> columnParts == Runtime.getRuntime().availableProcessors();
            case SHARE_WEIGHT -> columnParts > 1 || Parts.count(rows, MIN_UNITS) == 1;
        };
    }

    /** Outputs {@code [c0, c1)} of a one-row product: rows {@code c0 .. c1-1} of {@code W} times the vector. */
    private void gemv(FloatBuffer x, float alpha, FloatBuffer y, int c0, int c1) {
        if (c1 == c0) {
            return;
        }
        if (bias != null) {
            y.put(c0, bias, c0, c1 - c0);
        }
        float beta = bias == null ? 0f : 1f;
        FloatBuffer vector = SharedMemory.at(x, 0, in);
        FloatBuffer result = SharedMemory.at(y, c0, c1 - c0);
        if (transposed) {
            openblas_nolapack.cblas_sgemv(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasTrans, in, c1 - c0,
                    alpha, SharedMemory.at(weight, c0), out, vector, 1, beta, result, 1);
            return;
        }
        openblas_nolapack.cblas_sgemv(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasNoTrans, c1 - c0, in,
                alpha, SharedMemory.at(weight, (long) c0 * in, (long) (c1 - c0) * in), in, vector, 1, beta, result, 1);
    }

    /** Rows {@code [r0, r1)} and columns {@code [c0, c1)} of {@code y}: one part of a product of several rows. */
    private void block(FloatBuffer x, int stride, float alpha, FloatBuffer y, int r0, int r1, int c0, int c1) {
        int rows = r1 - r0;
        int width = c1 - c0;
        if (rows == 0 || width == 0) {
            return;
        }
        if (bias != null) {
            for (int r = r0; r < r1; r++) {
                y.put(r * out + c0, bias, c0, width);
            }
        }
        float beta = bias == null ? 0f : 1f;
        FloatBuffer input = SharedMemory.rows(x, r0, rows, stride);
        FloatBuffer result = SharedMemory.at(y, (long) r0 * out + c0, (long) (rows - 1) * out + width);
        if (transposed) {
            OpenBlas.gemmNN(rows, width, in, alpha, input, stride, SharedMemory.at(weight, c0), out, beta, result, out);
            return;
        }
        OpenBlas.gemmNT(rows, width, in, alpha, input, stride,
                SharedMemory.at(weight, (long) c0 * in, (long) width * in), in, beta, result, out);
    }
}
