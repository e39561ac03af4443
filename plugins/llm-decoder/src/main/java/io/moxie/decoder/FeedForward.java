package io.moxie.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
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
