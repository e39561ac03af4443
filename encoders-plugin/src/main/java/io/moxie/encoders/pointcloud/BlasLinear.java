package io.moxie.encoders.pointcloud;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.moxie.encoders.pointcloud.geometry.ParallelLoop;
import java.nio.FloatBuffer;

/**
 * {@link LinearMap} on OpenBLAS: one single-threaded {@code sgemm} per block of rows, blocks in parallel, writing
 * straight into the result's memory; the bias is then added by the engine. Immutable, hence thread-safe.
 */
final class BlasLinear implements LinearMap {
    /** Fewer rows than this per block and the split costs more than it saves. */
    private static final int MIN_ROWS_PER_PART = 64;

    private final NDArray bias;
    private final FloatBuffer w;
    private final int out;
    private final int in;

    BlasLinear(NDArray weight, NDArray bias) {
        this.bias = bias;
        this.w = Blas.floats(weight);
        this.out = Math.toIntExact(weight.getShape().get(0));
        this.in = Math.toIntExact(weight.getShape().get(1));
    }

    @Override
    public NDArray apply(NDArray x) {
        Shape shape = x.getShape();
        if (shape.get(shape.dimension() - 1) != in) {
            throw new IllegalArgumentException("linear map of width " + in + " applied to " + shape);
        }
        int rows = Math.toIntExact(shape.size() / in);
        long[] dims = shape.getShape().clone(); // Shape hands out its own array
        dims[dims.length - 1] = out;
        NDArray y = x.getManager().create(new Shape(dims));
        FloatBuffer xs = Blas.floats(x);
        FloatBuffer ys = Blas.floats(y);
        int parts = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), rows / MIN_ROWS_PER_PART));
        ParallelLoop.run(parts, () -> null, (unused, p) -> {
            int r0 = (int) ((long) rows * p / parts);
            int r1 = (int) ((long) rows * (p + 1) / parts);
            if (r1 > r0) {
                Blas.gemmNT(r1 - r0, out, in, 1f, Blas.at(xs, (long) r0 * in), in, w, in, 0f,
                        Blas.at(ys, (long) r0 * out), out);
            }
        });
        return bias == null ? y : y.addi(bias);
    }
}
