package io.moxie.experts.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.moxie.api.ExpertBank;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;
import io.moxie.experts.BankForward;
import io.moxie.experts.swiglu.ExpertGroups;
import java.util.UUID;

/**
 * Bookkeeping shared by the LoRA-MoE banks, kept final so a variant only writes how it applies a request-wide
 * selection: reads the routing on the host and picks the path below; {@link BankForward} checks the input and runs
 * the path in a scratch scope, handing back only {@code y [T, out]}, attached to the request's manager.
 *
 * <p>A routing that gives every token the same experts and weights (the {@code instance} router) goes to
 * {@link #forwardSelected}, with per-request arrays cached in the request's state under a key unique to this bank.
 * Any other routing (a per-token router swapped in) is computed exactly, expert by expert on its rows, so both
 * variants are correct under every router. Immutable apart from per-request state, hence thread-safe.
 */
abstract class LoraExpertBank implements ExpertBank {
    private final BankForward call;
    private final String stateKey;
    final LoraWeights weights;

    LoraExpertBank(String layer, LoraWeights weights) {
        this.call = new BankForward("LoRA-MoE layer " + layer, "input", weights.inputSize(), weights.numExperts());
        this.weights = weights;
        // per bank instance: two versions of a pipeline (during a swap) never share request state
        this.stateKey = "moxie.lora:" + layer + ":" + UUID.randomUUID();
    }

    @Override
    public final NDArray forward(NDArray x, Routing routing, RequestContext request) {
        return call.run(x, routing, request, (in, r, scratch) -> compute(in, r, request));
    }

    private NDArray compute(NDArray x, Routing routing, RequestContext request) {
        long[] indices = routing.indices().toLongArray();
        LoraSelection selection = LoraSelection.ofUniform(indices, routing.weights().toFloatArray(), routing.topK());
        if (selection != null) {
            RequestState state = request.computeIfAbsent(stateKey, k -> new RequestState());
            return forwardSelected(x, state.arrays(selection, this, request.manager()));
        }
        NDArray deltas = ExpertGroups.of(indices, routing.topK(), weights.numExperts())
                .combine(x, routing.weights(), weights::delta);
        return weights.baseForward(x).addi(deltas);
    }

    /**
     * Computes {@code y = x Wᵀ + Σ_j w_j (x A_{e_j}) B_{e_j}} for a selection shared by all rows.
     *
     * @param x {@code [T, in]}, attached to a scratch scope where every intermediate and the result go
     * @param arrays the selection's per-request arrays, built by {@link #prepare}
     * @return {@code [T, out]}
     */
    abstract NDArray forwardSelected(NDArray x, SelectedArrays arrays);

    /**
     * Builds the per-request arrays of a selection, once per request (again only if the routing changes
     * mid-request), in the request's manager.
     */
    abstract SelectedArrays prepare(LoraSelection selection, NDManager requestManager);

    @Override
    public final int numExperts() {
        return weights.numExperts();
    }

    /**
     * What a variant derives from a selection: {@code concatA} {@code [in, k·r]} and {@code scaledB}
     * {@code [k·r, out]} for the unmerged form; {@code merged} {@code [out, in]} (and nulls) for the merged one.
     */
    record SelectedArrays(LoraSelection selection, NDArray concatA, NDArray scaledB, NDArray merged)
            implements AutoCloseable {
        @Override
        public void close() {
            for (NDArray a : new NDArray[] {concatA, scaledB, merged}) {
                if (a != null) {
                    a.close();
                }
            }
        }
    }

    /**
     * The per-request state of one bank: the arrays of the selection in use. Synchronized because nothing in the API
     * forbids a stage from running independent layers of one request on several threads.
     */
    private static final class RequestState implements AutoCloseable {
        private SelectedArrays current;

        synchronized SelectedArrays arrays(LoraSelection selection, LoraExpertBank bank, NDManager requestManager) {
            if (current == null || !current.selection().equals(selection)) {
                if (current != null) {
                    current.close();
                }
                current = bank.prepare(selection, requestManager);
            }
            return current;
        }

        @Override
        public synchronized void close() {
            if (current != null) {
                current.close();
                current = null;
            }
        }
    }
}
