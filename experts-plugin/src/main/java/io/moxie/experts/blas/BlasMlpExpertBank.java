package io.moxie.experts.blas;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ExpertBank;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;
import io.moxie.blas.FusedActivation;
import io.moxie.blas.OpenBlas;
import io.moxie.blas.Parts;
import io.moxie.blas.SharedMemory;
import io.moxie.experts.BankForward;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Grouped execution with every expert GEMM on OpenBLAS over the DJL arrays' own memory:
 * <ol>
 *   <li>group the {@code T·k} (token, slot) pairs by expert ({@link PairPlan}, on the host), so each expert's pairs
 *       are one contiguous block of rows;</li>
 *   <li>gather the input rows into {@code [T·k, dIn]} in that order, parts over rows;</li>
 *   <li>fc1 and the activation, parts over fc1's output columns: each part, per expert, writes its columns of fc1's
 *       bias into the expert's hidden rows, runs one {@code sgemm} onto them ({@code beta = 1}, where OpenBLAS would
 *       otherwise zero the block first) on its columns of the weights, as the checkpoint stores them
 *       ({@code [I, dIn]}, {@code CblasTrans}), and activates that block in place ({@link FusedActivation});</li>
 *   <li>fc2 and the combine, parts over output columns: per expert one {@code sgemm} on the part's columns of fc2
 *       into {@code [T·k, dOut]}, then for every token {@code y[t] = Σ_j w[t,j] · (out[row(t,j)] + b2[idx[t,j]])} on
 *       those columns, no scatter.</li>
 * </ol>
 * Why parts over columns, not over rows: every GEMM then has all of its expert's rows (the {@code M} that decides how
 * often OpenBLAS packs the weights per FLOP), each part packs only its own share of each expert's weights, and the
 * parts are equal whatever the routing. Parts over rows cut an expert's block wherever the row ranges met: at CuMo's
 * connector size that left one part a GEMM of 16 rows that packed a whole expert's 96 MB of weights for 0.8 GFLOP
 * (28 GFLOP/s, against 93 for 288 rows), and with more cores than experts every expert would be packed by several
 * parts (docs/PERFORMANCE.md, "One pool for the GEMMs"). The price is a join between the phases.
 *
 * <p>Every intermediate is an engine array of the call's scratch scope, written and read in place through
 * {@link SharedMemory}: nothing is copied between DJL and OpenBLAS. Stateless apart from the immutable weights, hence
 * thread-safe.
 */
final class BlasMlpExpertBank implements ExpertBank {
    /** Rows below which gathering them is not worth a second core. */
    private static final int MIN_ROWS_PER_PART = 64;
    /**
     * Columns below which a part is not worth a core: each part packs all rows of every expert for its GEMMs, so thin
     * column blocks repeat that packing for little work (also keeps tiny experts on one thread).
     */
    private static final int MIN_COLUMNS_PER_PART = 64;

    private final String layer;
    private final BankForward call;
    private final BlasMlpExperts experts;

    BlasMlpExpertBank(String layer, BlasMlpExperts experts) {
        this.layer = layer;
        this.call = BankForward.ofMoeLayer(layer, experts.inputSize(), experts.numExperts());
        this.experts = experts;
    }

    @Override
    public NDArray forward(NDArray x, Routing routing, RequestContext request) {
        return call.run(x, routing, request, this::compute);
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
                SharedMemory.floats(scratch.create(new Shape(pairs, experts.hiddenSize()))),
                SharedMemory.floats(scratch.create(new Shape(pairs, experts.outputSize()))),
                SharedMemory.floats(y));
        int rowParts = Parts.count(pairs, MIN_ROWS_PER_PART);
        Parts.run(rowParts, p -> gather(plan, b, Parts.bound(pairs, p, rowParts), Parts.bound(pairs, p + 1, rowParts)));
        int hidden = experts.hiddenSize();
        int hiddenParts = Parts.count(hidden, MIN_COLUMNS_PER_PART);
        Parts.run(hiddenParts, p -> fc1(plan, b, Parts.bound(hidden, p, hiddenParts),
                Parts.bound(hidden, p + 1, hiddenParts)));
        int out = experts.outputSize();
        int outParts = Parts.count(out, MIN_COLUMNS_PER_PART);
        Parts.run(outParts, p -> fc2(plan, weights, b, Parts.bound(out, p, outParts), Parts.bound(out, p + 1, outParts)));
        return y;
    }

    /** The call's matrices: input x, grouped input, hidden, expert output, y. */
    private record Buffers(FloatBuffer x, FloatBuffer grouped, FloatBuffer hidden, FloatBuffer expertOut, FloatBuffer y) {
    }

    /** Grouped rows {@code [first, end)}: the input row of each. */
    private void gather(PairPlan plan, Buffers b, int first, int end) {
        int in = experts.inputSize();
        for (int r = first; r < end; r++) {
            b.grouped().put(r * in, b.x(), plan.tokenOfRow(r) * in, in);
        }
    }

    /** Hidden columns {@code [c0, c1)} of every grouped row: bias, fc1 onto it, activation. */
    private void fc1(PairPlan plan, Buffers b, int c0, int c1) {
        int in = experts.inputSize();
        int hidden = experts.hiddenSize();
        int width = c1 - c0;
        FusedActivation activation = experts.activation();
        for (int e = 0; e < experts.numExperts(); e++) {
            int from = plan.start(e);
            int rows = plan.load(e);
            if (rows == 0 || width == 0) {
                continue;
            }
            float[] bias = experts.fc1Bias(e);
            for (int r = from; r < from + rows; r++) {
                b.hidden().put(r * hidden + c0, bias, c0, width);
            }
            OpenBlas.gemmNT(rows, width, in, activation.fc1Alpha(), SharedMemory.rows(b.grouped(), from, rows, in), in,
                    SharedMemory.at(experts.fc1(e), (long) c0 * in, (long) width * in), in, 1f,
                    block(b.hidden(), from, rows, hidden, c0, width), hidden);
            activation.applyInPlace(b.hidden(), hidden, from, rows, c0, width);
        }
    }

    /**
     * Output columns {@code [c0, c1)}: fc2 of every grouped row, then for every token
     * {@code y[t] = Σ_j w[t,j] · (out[row(t,j)] + b2[idx[t,j]])}, on the heap.
     */
    private void fc2(PairPlan plan, float[] weights, Buffers b, int c0, int c1) {
        int hidden = experts.hiddenSize();
        int out = experts.outputSize();
        int width = c1 - c0;
        if (width == 0) {
            return;
        }
        float alpha = experts.activation().fc2Alpha();
        for (int e = 0; e < experts.numExperts(); e++) {
            int from = plan.start(e);
            int rows = plan.load(e);
            if (rows > 0) {
                OpenBlas.gemmNT(rows, width, hidden, alpha, SharedMemory.rows(b.hidden(), from, rows, hidden), hidden,
                        SharedMemory.at(experts.fc2(e), (long) c0 * hidden, (long) width * hidden), hidden, 0f,
                        block(b.expertOut(), from, rows, out, c0, width), out);
            }
        }
        int k = plan.k();
        int tokens = plan.pairs() / k;
        float[] acc = new float[width];
        float[] row = new float[width];
        for (int t = 0; t < tokens; t++) {
            Arrays.fill(acc, 0f);
            for (int j = 0; j < k; j++) {
                int p = t * k + j;
                b.expertOut().get(plan.rowOfPair(p) * out + c0, row, 0, width);
                float w = weights[p];
                float[] bias = experts.fc2Bias(plan.expertOfPair(p));
                for (int o = 0; o < width; o++) {
                    acc[o] += w * (row[o] + bias[c0 + o]);
                }
            }
            b.y().put(t * out + c0, acc);
        }
    }

    /**
     * Returns columns {@code [c0, c0 + width)} of rows {@code [first, first + rows)} of a row-major matrix of
     * {@code stride} floats a row, as a buffer starting at the block's first element (row stride {@code stride}).
     */
    private static FloatBuffer block(FloatBuffer matrix, int first, int rows, int stride, int c0, int width) {
        return SharedMemory.at(matrix, (long) first * stride + c0, (long) (rows - 1) * stride + width);
    }

    @Override
    public int numExperts() {
        return experts.numExperts();
    }
}
