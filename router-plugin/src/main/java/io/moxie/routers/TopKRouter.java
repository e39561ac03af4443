package io.moxie.routers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.core.Linear;
import io.moxie.api.InvalidInputException;
import io.moxie.api.RequestContext;
import io.moxie.api.Router;
import io.moxie.api.Routing;
import io.moxie.blas.BlasLinear;
import io.moxie.blas.OpenBlas;
import io.moxie.blas.Softmax;

/**
 * CuMo's top-k router over a linear gate; immutable after construction, hence thread-safe.
 *
 * <p>Where OpenBLAS is loadable and the gate is on the CPU, the gate GEMM runs on it ({@link BlasLinear}, on the
 * fork-join parts like the expert GEMMs) and the softmax on the heap; otherwise both run on the engine. Why: the
 * engine runs its GEMM and its softmax on its OpenMP pool even for a {@code [T, E]} this small (the softmax's grain
 * size is 0), and the pool's idle workers then spin on the cores the expert GEMMs' parts need. At CuMo's layer size
 * (577 tokens, E 4) routing alone took 6.2 ms (median; 0.4 ms at best) with the engine's softmax and 0.9 ms with this
 * one, with no OpenMP worker left spinning (docs/PERFORMANCE.md, "One pool for the GEMMs"). Top-k and the
 * renormalisation stay on the engine (so ties keep the engine's order, as before); on {@code [T, E]} they are below its
 * grain size and run on the calling thread.
 */
final class TopKRouter implements Router {
    private final String layer;
    private final NDArray gate;
    /** The gate on OpenBLAS; null where the engine computes the logits. */
    private final BlasLinear blasGate;
    private final int numExperts;
    private final int topK;

    /** @param gate {@code [E, dIn]} float32, owned by the component's manager */
    TopKRouter(String layer, NDArray gate, int topK) {
        this.layer = layer;
        this.gate = gate;
        this.blasGate = OpenBlas.availableFor(gate) ? BlasLinear.of(gate, null, BlasLinear.Split.FILL_CORES) : null;
        this.numExperts = (int) gate.getShape().get(0);
        this.topK = topK;
    }

    @Override
    public Routing route(NDArray hidden, RequestContext request) {
        long inputSize = gate.getShape().get(1);
        if (hidden.getShape().dimension() != 2 || hidden.getShape().get(1) != inputSize) {
            throw new InvalidInputException("MoE layer " + layer + ": router input must be [T, " + inputSize
                    + "], got " + hidden.getShape());
        }
        // Logits and probabilities live in a scratch scope; only the routing outlives the call.
        try (NDManager scratch = request.manager().newSubManager()) {
            hidden.tempAttach(scratch);
            NDArray probabilities = blasGate != null
                    ? softmax(blasGate.apply(hidden), scratch)
                    : Linear.linear(hidden, gate).singletonOrThrow().softmax(-1);
            NDList top = probabilities.topK(topK, -1, true, true);
            NDArray kept = top.get(0);
            NDArray weights = kept.div(kept.sum(new int[] {-1}, true));
            NDArray indices = top.get(1);
            weights.attach(request.manager());
            indices.attach(request.manager());
            return new Routing(indices, weights, numExperts);
        }
    }

    /**
     * Returns the softmax over the last axis of {@code logits [T, E]} computed on the heap: the engine's softmax runs
     * on its OpenMP pool whatever the size (its grain size is 0), and {@code T·E} exponentials are nothing.
     */
    private static NDArray softmax(NDArray logits, NDManager manager) {
        float[] p = logits.toFloatArray();
        int e = Math.toIntExact(logits.getShape().get(1));
        Softmax.rowsInPlace(p, p.length / e, e);
        return manager.create(p, logits.getShape());
    }

    @Override
    public int numExperts() {
        return numExperts;
    }

    @Override
    public int topK() {
        return topK;
    }
}
