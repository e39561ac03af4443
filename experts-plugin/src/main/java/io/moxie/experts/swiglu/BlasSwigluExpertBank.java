package io.moxie.experts.swiglu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ExpertBank;
import io.moxie.api.InvalidInputException;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;
import io.moxie.blas.GatedSilu;
import io.moxie.blas.OpenBlas;
import io.moxie.blas.Parts;
import io.moxie.blas.SharedMemory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * Mixtral's experts grouped by expert with every GEMM on OpenBLAS over the DJL arrays' own memory:
 * <ol>
 *   <li>group the {@code T·k} (token, slot) pairs by expert ({@link ExpertGroups}) and gather the input rows in that
 *       order, so each expert's rows are one contiguous block;</li>
 *   <li>cut the intermediate size {@code I} into one range {@code [i0, i1)} per core ({@link Parts}); each part,
 *       independently and single-threaded, for every active expert: the gate and up units {@code [i0, i1)} of its
 *       rows (two {@code sgemm}s on the stacked {@code [2I, d]} weight, used as stored, the weights as the long side
 *       of the product), {@code silu(gate)·up} in place ({@link GatedSilu}), then its share of the down projection,
 *       {@code w2[:, i0:i1] · h[i0:i1]}, into a partial output of its own;</li>
 *   <li>combine, one token range per core: {@code y[t] = Σ_j w[t,j] · Σ_parts partial[row(t,j)]}, no scatter.</li>
 * </ol>
 * Splitting the intermediate size, not the rows, keeps every core busy for any number of rows, down to a decode step's
 * {@code k} rows, with one join per call; each part reads only its share of every active expert's weights. Stateless
 * apart from the immutable weights, hence thread-safe.
 */
final class BlasSwigluExpertBank implements ExpertBank {
    /** Intermediate columns below which a part is not worth a core (and tiny experts stay on one thread). */
    private static final int MIN_COLUMNS_PER_PART = 128;
    /** The most scratch the parts' partial outputs may take together. */
    private static final long PARTIAL_BUDGET_BYTES = 256L << 20;
    /** Tokens below which the combine is not worth a second core. */
    private static final int MIN_TOKENS_PER_PART = 16;

    private final String layer;
    private final SwigluExperts experts;
    private final FloatBuffer[] gateUp;
    private final FloatBuffer[] down;
    private final int dim;
    private final int inter;

    BlasSwigluExpertBank(String layer, SwigluExperts experts) {
        this.layer = layer;
        this.experts = experts;
        this.gateUp = new FloatBuffer[experts.numExperts()];
        this.down = new FloatBuffer[experts.numExperts()];
        for (int e = 0; e < gateUp.length; e++) {
            gateUp[e] = SharedMemory.floats(experts.gateUp(e));
            down[e] = SharedMemory.floats(experts.down(e));
        }
        this.dim = Math.toIntExact(experts.inputSize());
        this.inter = Math.toIntExact(experts.intermediateSize());
    }

    @Override
    public NDArray forward(NDArray x, Routing routing, RequestContext request) {
        if (x.getDataType() != DataType.FLOAT32 || x.getShape().dimension() != 2 || x.getShape().get(1) != dim) {
            throw new InvalidInputException("MoE layer " + layer + ": expert input must be float32 [T, " + dim
                    + "], got " + x.getDataType() + " " + x.getShape());
        }
        if (routing.tokens() != x.getShape().get(0) || routing.numExperts() != experts.numExperts()) {
            throw new IllegalArgumentException("MoE layer " + layer + ": routing of " + routing.tokens()
                    + " tokens over " + routing.numExperts() + " experts does not fit input " + x.getShape()
                    + " and " + experts.numExperts() + " experts");
        }
        ExpertGroups groups = ExpertGroups.of(routing.indices().toLongArray(), routing.topK(), experts.numExperts());
        float[] weights = routing.weights().toFloatArray();
        try (NDManager scratch = request.manager().newSubManager()) {
            // Borrowed, not taken: the caller's array returns to its manager when the scratch scope closes (and a
            // contiguous copy the engine may make of x for sharing dies with the scope).
            x.tempAttach(scratch);
            NDArray y = compute(x, groups, routing.topK(), weights, scratch);
            y.attach(request.manager());
            return y;
        }
    }

    private NDArray compute(NDArray x, ExpertGroups groups, int k, float[] weights, NDManager scratch) {
        int tokens = Math.toIntExact(x.getShape().get(0));
        int pairs = tokens * k;
        NDArray y = scratch.create(new Shape(tokens, dim));
        if (pairs == 0) {
            return y;
        }
        FloatBuffer input = SharedMemory.floats(x);
        FloatBuffer grouped = SharedMemory.floats(scratch.create(new Shape(pairs, dim)));
        for (int row = 0; row < pairs; row++) {
            grouped.put(row * dim, input, groups.tokenOfRow(row) * dim, dim);
        }
        int[] start = new int[gateUp.length + 1];
        for (int e = 0; e < gateUp.length; e++) {
            start[e + 1] = start[e] + groups.load(e);
        }
        // each part sums into its own [pairs, d] partial output: bound their total so a long prefill on a many-core
        // host does not allocate gigabytes of scratch (fewer parts then, each with more columns)
        long partialBytes = (long) pairs * dim * Float.BYTES;
        int parts = (int) Math.max(1, Math.min(Parts.count(inter, MIN_COLUMNS_PER_PART),
                PARTIAL_BUDGET_BYTES / partialBytes));
        // part p's gated block [pairs · 2 (i1 - i0)] starts at pairs · 2 i0; its partial output at p · pairs · d
        ByteBuffer hidden = SharedMemory.bytes(scratch.create(new Shape(pairs, 2L * inter)));
        FloatBuffer partial = SharedMemory.floats(scratch.create(new Shape(parts, pairs, dim)));
        Parts.run(parts, p -> {
            int i0 = Parts.bound(inter, p, parts);
            int i1 = Parts.bound(inter, p + 1, parts);
            ByteBuffer block = hidden.slice(Math.toIntExact((long) pairs * 2 * i0 * Float.BYTES),
                    Math.toIntExact((long) pairs * 2 * (i1 - i0) * Float.BYTES)).order(ByteOrder.nativeOrder());
            try (NDManager views = scratch.newSubManager()) {
                expertColumns(start, grouped, block, SharedMemory.at(partial, (long) p * pairs * dim), i0, i1, views);
            }
        });
        FloatBuffer out = SharedMemory.floats(y);
        int combineParts = Parts.count(tokens, MIN_TOKENS_PER_PART);
        Parts.run(combineParts, p -> weightedSum(groups, start, k, weights, partial, parts, out,
                Parts.bound(tokens, p, combineParts), Parts.bound(tokens, p + 1, combineParts)));
        return y;
    }

    /**
     * One part: intermediate columns {@code [i0, i1)} of every active expert, from the grouped rows to this part's
     * share of their down projection. Each product has the weights as its long side ({@code M}) and the expert's
     * {@code n} rows as {@code N}: with a few dozen rows per expert that was about 1.3x the other orientation (one
     * thread, 8 experts of 32 rows, gate/up size). So the hidden block of an expert is transposed,
     * {@code [w, 2n]}: row {@code i} holds intermediate unit {@code i0 + i}'s gate outputs for the {@code n} rows, then
     * its up outputs, which is the layout {@link GatedSilu} gates in place; the down product then gives this part's
     * share of the expert's output transposed, {@code [d, n]}.
     *
     * @param start the first grouped row of each expert ({@code start[E]} = all pairs)
     * @param block this part's hidden values, {@code [w, 2n]} per expert one after another, {@code w = i1 - i0}
     * @param partial this part's share of the experts' outputs, {@code [d, n]} per expert one after another
     */
    private void expertColumns(int[] start, FloatBuffer grouped, ByteBuffer block, FloatBuffer partial, int i0, int i1,
                               NDManager views) {
        int w = i1 - i0;
        FloatBuffer h = block.asFloatBuffer();
        for (int e = 0; e < gateUp.length; e++) {
            int n = start[e + 1] - start[e];
            if (n == 0) {
                continue;
            }
            FloatBuffer rows = SharedMemory.rows(grouped, start[e], n, dim);
            long offset = (long) start[e] * 2 * w;
            FloatBuffer hT = SharedMemory.at(h, offset);
            OpenBlas.gemmNT(w, n, dim, 1f, SharedMemory.at(gateUp[e], (long) i0 * dim), dim, rows, dim, 0f, hT, 2 * n);
            OpenBlas.gemmNT(w, n, dim, 1f, SharedMemory.at(gateUp[e], (long) (inter + i0) * dim), dim, rows, dim, 0f,
                    SharedMemory.at(hT, n), 2 * n);
            // while the block is still in cache; its first w · 2n floats, as rows of 2n
            GatedSilu.applyInPlace(block.slice(Math.toIntExact(offset * Float.BYTES), w * 2 * n * Float.BYTES)
                    .order(ByteOrder.nativeOrder()), 0, w, n, views);
            // columns [i0, i1) of w2 [d, I] (row stride I) times the gated values [w, n] (row stride 2n)
            OpenBlas.gemmNN(dim, n, w, 1f, SharedMemory.at(down[e], i0), inter, hT, 2 * n, 0f,
                    SharedMemory.at(partial, (long) start[e] * dim), n);
        }
    }

    /** Tokens {@code [first, end)}: {@code y[t] = Σ_j w[t,j] · Σ_p partial_p[row(t,j)]}, on the heap. */
    private void weightedSum(ExpertGroups groups, int[] start, int k, float[] weights, FloatBuffer partial, int parts,
                             FloatBuffer y, int first, int end) {
        int pairs = weights.length;
        float[] acc = new float[dim];
        for (int t = first; t < end; t++) {
            Arrays.fill(acc, 0f);
            for (int j = 0; j < k; j++) {
                int pair = t * k + j;
                int row = groups.rowOfPair(pair);
                int e = expertOfRow(start, row);
                int n = start[e + 1] - start[e];
                float w = weights[pair];
                for (int p = 0; p < parts; p++) {
                    // the expert's output block is [d, n]: this row's column
                    int base = (p * pairs + start[e]) * dim + (row - start[e]);
                    for (int o = 0; o < dim; o++) {
                        acc[o] += w * partial.get(base + o * n);
                    }
                }
            }
            y.put(t * dim, acc);
        }
    }

    /** Returns the expert whose block of grouped rows holds {@code row}. */
    private static int expertOfRow(int[] start, int row) {
        int e = 0;
        while (start[e + 1] <= row) {
            e++;
        }
        return e;
    }

    @Override
    public int numExperts() {
        return experts.numExperts();
    }
}
