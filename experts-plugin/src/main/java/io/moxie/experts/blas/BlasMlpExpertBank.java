package io.moxie.experts.blas;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ExpertBank;
import io.moxie.api.InvalidInputException;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;
import io.moxie.blas.FusedActivation;
import io.moxie.blas.OpenBlas;
import io.moxie.blas.Parts;
import io.moxie.blas.SharedMemory;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Grouped execution with every expert GEMM on OpenBLAS over the DJL arrays' own memory:
 * <ol>
 *   <li>group the {@code T·k} (token, slot) pairs by expert ({@link PairPlan}, on the host), so each expert's pairs
 *       are one contiguous block of rows;</li>
 *   <li>cut the rows into one range per core ({@link Parts}); each part, independently and single-threaded:
 *     <ol>
 *       <li>gathers its input rows into {@code [rows, dIn]} and writes each row's fc1 bias into its hidden row;</li>
 *       <li>per expert block it overlaps, one {@code sgemm} onto the bias ({@code beta = 1}, where OpenBLAS would
 *           otherwise zero the block first): {@code hidden += rows · fc1ᵀ}, the weights as the checkpoint stores
 *           them ({@code [I, dIn]}, {@code CblasTrans});</li>
 *       <li>applies the activation in place ({@link FusedActivation});</li>
 *       <li>per expert block, one {@code sgemm}: {@code out = act · fc2ᵀ};</li>
 *     </ol></li>
 *   <li>combine, one token range per core: {@code y[t] = Σ_j w[t,j] · (out[row(t,j)] + b2[idx[t,j]])}, no scatter.</li>
 * </ol>
 * Every intermediate is an engine array of the call's scratch scope, written and read in place through
 * {@link SharedMemory}: nothing is copied between DJL and OpenBLAS. Stateless apart from the immutable weights, hence
 * thread-safe.
 */
final class BlasMlpExpertBank implements ExpertBank {
    /**
     * Rows below which a part is not worth a core: each part packs the weights of every expert it touches, so a GEMM
     * of fewer rows spends more time packing than multiplying (also keeps tiny batches on one thread).
     */
    private static final int MIN_ROWS_PER_PART = 64;

    private final String layer;
    private final BlasMlpExperts experts;

    BlasMlpExpertBank(String layer, BlasMlpExperts experts) {
        this.layer = layer;
        this.experts = experts;
    }

    @Override
    public NDArray forward(NDArray x, Routing routing, RequestContext request) {
        if (x.getDataType() != DataType.FLOAT32 || x.getShape().dimension() != 2
                || x.getShape().get(1) != experts.inputSize()) {
            throw new InvalidInputException("MoE layer " + layer + ": expert input must be float32 [T, "
                    + experts.inputSize() + "], got " + x.getDataType() + " " + x.getShape());
        }
        if (routing.tokens() != x.getShape().get(0) || routing.numExperts() != experts.numExperts()) {
            throw new IllegalArgumentException("MoE layer " + layer + ": routing of " + routing.tokens()
                    + " tokens over " + routing.numExperts() + " experts does not fit input " + x.getShape()
                    + " and " + experts.numExperts() + " experts");
        }
        try (NDManager scratch = request.manager().newSubManager()) {
            // Borrowed, not taken: the caller's arrays return to their managers when the scratch scope closes (and a
            // contiguous copy the engine may make of x for sharing dies with the scope).
            x.tempAttach(scratch);
            routing.indices().tempAttach(scratch);
            routing.weights().tempAttach(scratch);
            NDArray y = compute(x, routing, scratch);
            y.attach(request.manager());
            return y;
        }
    }

    private NDArray compute(NDArray x, Routing routing, NDManager scratch) {
        int tokens = Math.toIntExact(routing.tokens());
        PairPlan plan = PairPlan.of(routing.indices().toLongArray(), routing.topK(), experts.numExperts(), layer);
        float[] weights = routing.weights().toFloatArray();
        int pairs = plan.pairs();
        NDArray y = scratch.create(new Shape(tokens, experts.outputSize()));
        if (pairs == 0) {
            return y;
        }
        Buffers b = new Buffers(SharedMemory.floats(x),
                SharedMemory.floats(scratch.create(new Shape(pairs, experts.inputSize()))),
                SharedMemory.bytes(scratch.create(new Shape(pairs, experts.hiddenSize()))),
                SharedMemory.floats(scratch.create(new Shape(pairs, experts.outputSize()))),
                SharedMemory.floats(y));
        int parts = Parts.count(pairs, MIN_ROWS_PER_PART);
        Parts.run(parts, part -> expertRows(plan, b, Parts.bound(pairs, part, parts), Parts.bound(pairs, part + 1, parts),
                scratch));
        Parts.run(parts, part -> weightedSum(plan, weights, b,
                Parts.bound(tokens, part, parts), Parts.bound(tokens, part + 1, parts)));
        return y;
    }

    /** The call's matrices: input x, grouped input, hidden (as bytes, for the engine's views), expert output, y. */
    private record Buffers(FloatBuffer x, FloatBuffer grouped, ByteBuffer hidden, FloatBuffer expertOut, FloatBuffer y) {
    }

    /** Runs grouped rows {@code [first, end)} through their experts: gather, fc1 onto its bias, activation, fc2. */
    private void expertRows(PairPlan plan, Buffers b, int first, int end, NDManager scratch) {
        int in = experts.inputSize();
        int hidden = experts.hiddenSize();
        int out = experts.outputSize();
        FloatBuffer hiddenRows = b.hidden().asFloatBuffer();
        for (int e = 0; e < experts.numExperts(); e++) {
            float[] bias = experts.fc1Bias(e);
            for (int r = Math.max(first, plan.start(e)); r < Math.min(end, plan.start(e) + plan.load(e)); r++) {
                b.grouped().put(r * in, b.x(), plan.tokenOfRow(r) * in, in);
                hiddenRows.put(r * hidden, bias);
            }
        }
        FusedActivation activation = experts.activation();
        for (int e = 0; e < experts.numExperts(); e++) {
            int from = Math.max(first, plan.start(e));
            int to = Math.min(end, plan.start(e) + plan.load(e));
            if (from < to) {
                OpenBlas.gemmNT(to - from, hidden, in, activation.fc1Alpha(), SharedMemory.rows(b.grouped(), from, to - from, in),
                        in, experts.fc1(e), in, 1f, SharedMemory.rows(hiddenRows, from, to - from, hidden), hidden);
            }
        }
        try (NDManager views = scratch.newSubManager()) {
            activation.applyInPlace(b.hidden(), first, end - first, hidden, views);
        }
        for (int e = 0; e < experts.numExperts(); e++) {
            int from = Math.max(first, plan.start(e));
            int to = Math.min(end, plan.start(e) + plan.load(e));
            if (from < to) {
                OpenBlas.gemmNT(to - from, out, hidden, activation.fc2Alpha(),
                        SharedMemory.rows(hiddenRows, from, to - from, hidden), hidden, experts.fc2(e), hidden,
                        0f, SharedMemory.rows(b.expertOut(), from, to - from, out), out);
            }
        }
    }

    /** Tokens {@code [first, end)}: {@code y[t] = Σ_j w[t,j] · (out[row(t,j)] + b2[idx[t,j]])}, on the heap. */
    private void weightedSum(PairPlan plan, float[] weights, Buffers b, int first, int end) {
        int k = plan.k();
        int out = experts.outputSize();
        float[] acc = new float[out];
        float[] row = new float[out];
        for (int t = first; t < end; t++) {
            Arrays.fill(acc, 0f);
            for (int j = 0; j < k; j++) {
                int p = t * k + j;
                b.expertOut().get(plan.rowOfPair(p) * out, row);
                float w = weights[p];
                float[] bias = experts.fc2Bias(plan.expertOfPair(p));
                for (int o = 0; o < out; o++) {
                    acc[o] += w * (row[o] + bias[o]);
                }
            }
            b.y().put(t * out, acc);
        }
    }

    @Override
    public int numExperts() {
        return experts.numExperts();
    }
}
