package io.moxie.blas;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;

/**
 * {@code y = alpha · x · Wᵀ + b} over the last axis on OpenBLAS, {@code W [out, in]} used as the checkpoint stores it
 * (called with {@code CblasTrans}: the fastest layout measured for OpenBLAS here, and no copy of the weights). The
 * bias is written into {@code y} first and the GEMM adds onto it ({@code beta = 1}), so there is no separate pass.
 *
 * <p>Parts ({@link Parts}): over output columns when every part still gets {@value #MIN_UNITS} of them (each part
 * packs only its share of the weights and multiplies all rows), otherwise over rows (narrow maps over many rows, as
 * in the point-cloud encoder). Holds a view of the weight, owned by the caller's (component's) manager, and a heap
 * copy of the bias; immutable, hence thread-safe.
 */
public final class BlasLinear {
    /** Fewer columns (or rows) than this per part and the split costs more than it saves. */
    private static final int MIN_UNITS = 64;

    private final FloatBuffer weight;
    private final float[] bias;
    private final int in;
    private final int out;

    private BlasLinear(FloatBuffer weight, float[] bias, int in, int out) {
        this.weight = weight;
        this.bias = bias;
        this.in = in;
        this.out = out;
    }

    /**
     * Returns the map of a float32 CPU weight {@code [out, in]} and an optional bias {@code [out]} (null for none)
     * scaled by {@code biasScale}. The caller checks {@link OpenBlas#availableFor(NDArray)} first.
     */
    public static BlasLinear of(NDArray weight, NDArray bias, float biasScale) {
        Shape shape = weight.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException("linear weight must be [out, in], got " + shape);
        }
        float[] b = null;
        if (bias != null) {
            b = bias.toFloatArray();
            if (b.length != shape.get(0)) {
                throw new IllegalArgumentException("bias of " + b.length + " for a weight " + shape);
            }
            for (int i = 0; i < b.length && biasScale != 1f; i++) {
                b[i] *= biasScale;
            }
        }
        return new BlasLinear(SharedMemory.floats(weight), b, Math.toIntExact(shape.get(1)),
                Math.toIntExact(shape.get(0)));
    }

    /** Returns the map of a weight {@code [out, in]} and an optional bias (null for none). */
    public static BlasLinear of(NDArray weight, NDArray bias) {
        return of(weight, bias, 1f);
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
        apply(SharedMemory.floats(x), Math.toIntExact(shape.size() / in), 1f, SharedMemory.floats(y));
        return y;
    }

    /**
     * {@code y [rows, out] = alpha · x [rows, in] · Wᵀ + b}, both row-major and dense, in parts, returning when all
     * are done.
     */
    public void apply(FloatBuffer x, int rows, float alpha, FloatBuffer y) {
        int cores = Runtime.getRuntime().availableProcessors();
        if (cores > 1 && out / cores >= MIN_UNITS) {
            int parts = Parts.count(out, MIN_UNITS);
            Parts.run(parts, p -> columns(x, rows, alpha, y, Parts.bound(out, p, parts), Parts.bound(out, p + 1, parts)));
        } else {
            int parts = Parts.count(rows, MIN_UNITS);
            Parts.run(parts, p -> rows(x, alpha, y, Parts.bound(rows, p, parts), Parts.bound(rows, p + 1, parts)));
        }
    }

    /** Columns {@code [c0, c1)} of {@code y}, all rows. */
    private void columns(FloatBuffer x, int rows, float alpha, FloatBuffer y, int c0, int c1) {
        if (rows == 0 || c1 == c0) {
            return;
        }
        int width = c1 - c0;
        if (bias != null) {
            for (int r = 0; r < rows; r++) {
                y.put(r * out + c0, bias, c0, width);
            }
        }
        OpenBlas.gemmNT(rows, width, in, alpha, x, in, SharedMemory.at(weight, (long) c0 * in, (long) width * in), in,
                bias == null ? 0f : 1f, SharedMemory.at(y, c0, (long) (rows - 1) * out + width), out);
    }

    /** Rows {@code [r0, r1)} of {@code y}, all columns. */
    private void rows(FloatBuffer x, float alpha, FloatBuffer y, int r0, int r1) {
        if (r1 == r0) {
            return;
        }
        if (bias != null) {
            for (int r = r0; r < r1; r++) {
                y.put(r * out, bias);
            }
        }
        OpenBlas.gemmNT(r1 - r0, out, in, alpha, SharedMemory.rows(x, r0, r1 - r0, in), in, weight, in,
                bias == null ? 0f : 1f, SharedMemory.rows(y, r0, r1 - r0, out), out);
    }
}
