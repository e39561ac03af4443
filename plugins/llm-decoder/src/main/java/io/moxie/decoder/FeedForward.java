package io.moxie.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import io.moxie.api.MoeLayer;

/** The MLP of one decoder layer, {@code [t, d] -> [t, d]}. Immutable. */
interface FeedForward {

    /** Applies the MLP to {@code n} (the normalised residual); the result belongs to the pass's scope. */
    NDArray forward(NDArray n, ForwardPass pass);

    /**
     * Llama's dense SwiGLU MLP {@code down(silu(gate n) ⊙ up n)}, the gate and up weights stacked into one
     * {@code [2I, d]} matrix so both are a single GEMM.
     *
     * @param gateUp {@code [2I, d]} float32 (gate rows first), owned by the component's manager
     * @param down {@code [d, I]} float32
     * @param gateColumns selects the gate half of {@code gateUp}'s output
     * @param upColumns selects the up half
     */
    record Dense(NDArray gateUp, NDArray down, NDIndex gateColumns, NDIndex upColumns) implements FeedForward {
        Dense(NDArray gateUp, NDArray down) {
            this(gateUp, down, new NDIndex(":, 0:{}", down.getShape().get(1)),
                    new NDIndex(":, {}:", down.getShape().get(1)));
        }

        @Override
        public NDArray forward(NDArray n, ForwardPass pass) {
            NDArray both = Linear.linear(n, gateUp).singletonOrThrow();
            NDArray gate = both.get(gateColumns);
            NDArray up = both.get(upColumns);
            return Linear.linear(gate.mul(Activation.sigmoid(gate)).muli(up), down).singletonOrThrow();
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
