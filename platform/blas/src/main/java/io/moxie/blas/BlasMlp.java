package io.moxie.blas;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;

/**
 * A dense two-layer MLP {@code fc2(act(fc1(x)))} with every GEMM on OpenBLAS (a CLIP layer's {@code mlp}, a
 * projector): fc1 in parts over its columns onto its bias, the activation in place in parts over rows
 * ({@link FusedActivation}, constant factors folded into the GEMMs' {@code alpha}), fc2 like fc1. So a tower's MLPs run
 * on the same single-threaded OpenBLAS parts as its attention, never on libtorch's OpenMP pool. Holds views of weights
 * owned by the caller's manager; immutable, hence thread-safe.
 */
public final class BlasMlp {
    /** Rows below which the activation is not worth a second core. */
    private static final int MIN_ROWS_PER_PART = 16;

    private final BlasLinear fc1;
    private final BlasLinear fc2;
    private final FusedActivation activation;

    private BlasMlp(BlasLinear fc1, BlasLinear fc2, FusedActivation activation) {
        this.fc1 = fc1;
        this.fc2 = fc2;
        this.activation = activation;
    }

    /**
     * @param fc1Weight {@code [I, in]}
     * @param fc1Bias {@code [I]}
     * @param fc2Weight {@code [out, I]}
     * @param fc2Bias {@code [out]}
     */
    public static BlasMlp of(NDArray fc1Weight, NDArray fc1Bias, NDArray fc2Weight, NDArray fc2Bias,
                             FusedActivation activation) {
        BlasLinear fc1 = BlasLinear.of(fc1Weight, fc1Bias, activation.fc1Alpha(), BlasLinear.Split.FILL_CORES);
        BlasLinear fc2 = BlasLinear.of(fc2Weight, fc2Bias, BlasLinear.Split.FILL_CORES);
        if (fc2.inputSize() != fc1.outputSize()) {
            throw new IllegalArgumentException("MLP fc1 gives " + fc1.outputSize() + " features, fc2 takes "
                    + fc2.inputSize());
        }
        return new BlasMlp(fc1, fc2, activation);
    }

    /** Runs the MLP on {@code x [..., in]}; the result {@code [..., out]} belongs to {@code x}'s manager. */
    public NDArray forward(NDArray x) {
        Shape shape = x.getShape();
        if (shape.dimension() == 0 || shape.get(shape.dimension() - 1) != fc1.inputSize()) {
            throw new IllegalArgumentException("MLP of width " + fc1.inputSize() + " applied to " + shape);
        }
        int rows = Math.toIntExact(shape.size() / fc1.inputSize());
        int hidden = fc1.outputSize();
        long[] dims = shape.getShape().clone();
        dims[dims.length - 1] = fc2.outputSize();
        NDArray y = x.getManager().create(new Shape(dims));
        try (NDManager scratch = x.getManager().newSubManager()) {
            FloatBuffer h = SharedMemory.floats(scratch.create(new Shape(rows, hidden)));
            fc1.apply(SharedMemory.floats(x), rows, fc1.inputSize(), activation.fc1Alpha(), h);
            int parts = Parts.count(rows, MIN_ROWS_PER_PART);
            Parts.run(parts, p -> {
                int r0 = Parts.bound(rows, p, parts);
                activation.applyInPlace(h, hidden, r0, Parts.bound(rows, p + 1, parts) - r0, 0, hidden);
            });
            fc2.apply(h, rows, hidden, activation.fc2Alpha(), SharedMemory.floats(y));
        }
        return y;
    }
}
