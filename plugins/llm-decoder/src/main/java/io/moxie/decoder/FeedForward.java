package io.moxie.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import io.moxie.api.MoeLayer;
import io.moxie.blas.BlasLinear;
import io.moxie.blas.BlasLinear.Split;
import io.moxie.blas.GatedSilu;
import io.moxie.blas.OpenBlas;
import io.moxie.blas.Parts;
import io.moxie.blas.SharedMemory;
import java.nio.FloatBuffer;

/** The MLP of one decoder layer, {@code [t, d] -> [t, d]}. Immutable. */
interface FeedForward {

    /** Applies the MLP to {@code n} (the normalised residual); the result belongs to {@code n}'s scope. */
    NDArray forward(NDArray n, ForwardPass pass);

    /**
     * Llama's dense SwiGLU MLP: on OpenBLAS when the weights are on the CPU and OpenBLAS loads (each weight in its
     * faster layout, {@link BlasLinear#fastestLayout}, which takes it over), on DJL otherwise.
     *
     * @param gateUp {@code [2I, d]} float32 (gate rows first), owned by the component's manager
     * @param down {@code [d, I]} float32
     */
    static FeedForward dense(NDArray gateUp, NDArray down) {
        return OpenBlas.availableFor(gateUp)
                ? new Blas(BlasLinear.fastestLayout(gateUp, null, Split.SHARE_WEIGHT),
                        BlasLinear.fastestLayout(down, null, Split.SHARE_WEIGHT))
                : new Dense(gateUp, down);
    }

    /**
     * Llama's dense SwiGLU MLP {@code down(silu(gate n) ⊙ up n)} on DJL, the gate and up weights stacked into one
     * {@code [2I, d]} matrix so both are a single GEMM.
     */
    record Dense(NDArray gateUp, NDArray down) implements FeedForward {
        @Override
        public NDArray forward(NDArray n, ForwardPass pass) {
            // the two halves as views, in one operation
            NDList both = Linear.linear(n, gateUp).singletonOrThrow().split(2, 1);
            NDArray gate = both.get(0);
            NDArray up = both.get(1);
            return Linear.linear(gate.mul(Activation.sigmoid(gate)).muli(up), down).singletonOrThrow();
        }
    }

    /**
     * The same MLP on OpenBLAS: the stacked gate/up product into {@code [t, 2I]}, {@code silu(gate)·up} in place into
     * its gate half ({@link GatedSilu}, in parts over rows), and the down product reading that half with a row stride
     * of {@code 2I}: no copies, and no element-wise operation large enough to wake libtorch's OpenMP pool.
     */
    record Blas(BlasLinear gateUp, BlasLinear down) implements FeedForward {
        /** Rows below which the gating is not worth a second core. */
        private static final int MIN_ROWS_PER_PART = 16;

        @Override
        public NDArray forward(NDArray n, ForwardPass pass) {
            int rows = Math.toIntExact(n.getShape().get(0));
            int hidden = down.inputSize();
            NDManager m = n.getManager();
            try (NDArray h = gateUp.apply(n)) { // [t, 2I]
                FloatBuffer floats = SharedMemory.floats(h);
                int parts = Parts.count(rows, MIN_ROWS_PER_PART);
                Parts.run(parts, p -> {
                    int r0 = Parts.bound(rows, p, parts);
                    GatedSilu.applyInPlace(floats, r0, Parts.bound(rows, p + 1, parts) - r0, hidden);
                });
                NDArray y = m.create(new Shape(rows, down.outputSize()));
                down.apply(floats, rows, 2 * hidden, 1f, SharedMemory.floats(y));
                return y;
            }
        }
    }

    /**
     * Mixtral's {@code block_sparse_moe}: the router and expert bank the pipeline chose ({@code topk} and
     * {@code swiglu} by default); the routing is kept when the pass keeps routings.
     */
    record SparseMoe(MoeLayer layer) implements FeedForward {
        @Override
        public NDArray forward(NDArray n, ForwardPass pass) {
            return pass.moe(layer, n);
        }
    }
}
