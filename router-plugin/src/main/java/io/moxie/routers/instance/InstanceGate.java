package io.moxie.routers.instance;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.Routing;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One request's instance-gate decision: the {@code k} chosen experts (best first), their renormalised weights, and
 * the token-mean gate logits they came from. Lives in the request's state; its arrays belong to the request's
 * manager. Hands out one {@link Routing} per token count, built once and reused by every layer and step of the
 * request, so routing a decode step allocates nothing.
 */
final class InstanceGate {
    /** The authors' epsilon in the renormalisation denominator ({@code Top2Gating}); invisible in float32 here. */
    static final float EPS = 1e-9f;

    private final long[] experts;
    private final float[] weights;
    private final NDArray meanLogits;
    private final int numExperts;
    private final Map<Long, Routing> byTokens = new ConcurrentHashMap<>();

    private InstanceGate(long[] experts, float[] weights, NDArray meanLogits, int numExperts) {
        this.experts = experts;
        this.weights = weights;
        this.meanLogits = meanLogits;
        this.numExperts = numExperts;
    }

    /**
     * Computes the gate as the authors do at inference: per-token logits {@code X · w_gating} {@code [S, E]}, their
     * mean over the {@code S} tokens (before any softmax), softmax over all {@code E} experts, the {@code k} most
     * probable, renormalised as {@code p_j / (Σ p + eps)}.
     *
     * @param instruction {@code [S, d]} float32 token embeddings of the instruction (borrowed, not modified)
     * @param gate {@code w_gating} {@code [d, E]}
     * @param manager the request's manager: where the decision's arrays live
     */
    static InstanceGate compute(NDArray instruction, NDArray gate, int k, NDManager manager) {
        try (NDManager scratch = manager.newSubManager()) {
            instruction.tempAttach(scratch);
            NDArray mean = instruction.matMul(gate).mean(new int[] {0});
            NDList top = mean.softmax(0).topK(k, 0, true, true);
            NDArray picked = top.get(0);
            NDArray renormalised = picked.div(picked.sum().add(EPS));
            mean.attach(manager);
            return new InstanceGate(top.get(1).toLongArray(), renormalised.toFloatArray(), mean,
                    (int) gate.getShape().get(1));
        }
    }

    /** Returns the routing of {@code tokens} rows, every row the same decision. */
    Routing routing(long tokens, NDManager manager) {
        return byTokens.computeIfAbsent(tokens, t -> {
            int k = experts.length;
            long[] indices = new long[(int) (t * k)];
            float[] w = new float[indices.length];
            for (int row = 0; row < t; row++) {
                System.arraycopy(experts, 0, indices, row * k, k);
                System.arraycopy(weights, 0, w, row * k, k);
            }
            Shape shape = new Shape(t, k);
            return new Routing(manager.create(indices, shape), manager.create(w, shape), numExperts);
        });
    }

    /** Returns the token-mean gate logits {@code [E]} float32 (the request's manager owns them). */
    NDArray meanLogits() {
        return meanLogits;
    }
}
