package io.moxie.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.core.Linear;
import io.moxie.api.MoeLayer;
import io.moxie.blas.BlasLinear;
import io.moxie.blas.OpenBlas;

/**
 * A linear projection of the decoder, {@code [t, in] -> [t, out]}: a plain {@code nn.Linear} without bias, or a MoE
 * layer (a LoRA-MoE target projection) whose router and expert bank the pipeline chose. Immutable.
 */
interface Projection {

    /** Projects {@code x}; the result belongs to the pass's scratch scope. */
    NDArray apply(NDArray x, ForwardPass pass);

    /**
     * A plain linear layer: on OpenBLAS when the weight is on the CPU and OpenBLAS loads (about twice DJL's GEMM on
     * AMD CPUs, and a decode step's one-row product as a matrix-vector product; the weight in its faster layout,
     * {@link BlasLinear#fastestLayout}, which takes it over), on DJL otherwise (GPUs).
     */
    static Projection dense(NDArray weight) {
        return OpenBlas.availableFor(weight)
                ? new Blas(BlasLinear.fastestLayout(weight, null, BlasLinear.Split.SHARE_WEIGHT))
                : new Dense(weight);
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

    /** @param map a view of a CPU weight owned by the component's manager */
    record Blas(BlasLinear map) implements Projection {
        @Override
        public NDArray apply(NDArray x, ForwardPass pass) {
            return map.apply(x);
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
