package io.moxie.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;
import io.moxie.api.MoeLayer;

/**
 * A linear projection of the decoder, {@code [t, in] -> [t, out]}: a plain {@code nn.Linear} without bias, or a MoE
 * layer (a LoRA-MoE target projection) whose router and expert bank the pipeline chose. Immutable.
 */
interface Projection {

    /** Projects {@code x}; the result belongs to the pass's scratch scope. */
    NDArray apply(NDArray x, ForwardPass pass);

    /** A plain linear layer. */
    static Projection dense(NDArray weight) {
        return new Dense(weight);
    }

    /** A projection computed by a MoE layer; its routing is kept when the pass keeps routings. */
    static Projection moe(MoeLayer layer) {
        return new Moe(layer);
    }

    /** @param weight {@code [out, in]} float32, owned by the component's manager */
    record Dense(NDArray weight) implements Projection {
        @Override
        public NDArray apply(NDArray x, ForwardPass pass) {
            return Linear.linear(x, weight).singletonOrThrow();
        }
    }

    /** @param layer wired by the kernel from the pipeline's {@code router:} and {@code experts:} */
    record Moe(MoeLayer layer) implements Projection {
        @Override
        public NDArray apply(NDArray x, ForwardPass pass) {
            return pass.moe(layer, x);
        }
    }
}
