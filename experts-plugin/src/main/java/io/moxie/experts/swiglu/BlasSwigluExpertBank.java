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
 *       independently and single-threaded, for every active expert: the gate and up columns {@code [i0, i1)} of its
 *       rows (one {@code sgemm} on the stacked {@code [2I, d]} weight when the part has all columns, two otherwise;
 *       weights as the checkpoint stores them, {@code CblasTrans}), {@code silu(gate)·up} in place
 *       ({@link GatedSilu}), then its share of the down projection, {@code h[:, i0:i1] · w2[:, i0:i1]ᵀ}, into a
 *       partial output of its own;</li>
 *   <li>combine, one token range per core: {@code y[t] = Σ_j w[t,j] · Σ_parts partial[row(t,j)]}, no scatter.</li>
 * </ol>
 * Splitting the intermediate size, not the rows, keeps every core busy for any number of rows, down to a decode step's
 * {@code k} rows, with one join per call; each part reads only its share of every active expert's weights. Stateless
 * apart from the immutable weights, hence thread-safe.
 */
final class BlasSwigluExpertBank implements ExpertBank {
    /** Intermediate columns below which a part is not worth a core (and tiny experts stay on one thread). */
    private static final int MIN_COLUMNS_PER_PART = 128;
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
        int parts = Parts.count(inter, MIN_COLUMNS_PER_PART);
        // part p's gate|up block [pairs, 2 (i1 - i0)] starts at pairs · 2 i0; its partial output at p · pairs · d
        ByteBuffer hidden = SharedMemory.bytes(scratch.create(new Shape(pairs, 2L * inter)));
        FloatBuffer partial = SharedMemory.floats(scratch.create(new Shape(parts, pairs, dim)));
        Parts.run(parts, p -> {
            int i0 = Parts.bound(inter, p, parts);
            int i1 = Parts.bound(inter, p + 1, parts);
            ByteBuffer block = hidden.slice(Math.toIntExact((long) pairs * 2 * i0 * Float.BYTES),
                    Math.toIntExact((long) pairs * 2 * (i1 - i0) * Float.BYTES)).order(ByteOrder.nativeOrder());
            try (NDManager views = scratch.newSubManager()) {
                expertColumns(groups, grouped, block, SharedMemory.at(partial, (long) p * pairs * dim), i0, i1, views);
            }
        });
        FloatBuffer out = SharedMemory.floats(y);
        int combineParts = Parts.count(tokens, MIN_TOKENS_PER_PART);
        Parts.run(combineParts, p -> weightedSum(groups, k, weights, partial, parts, out,
                Parts.bound(tokens, p, combineParts), Parts.bound(tokens, p + 1, combineParts)));
        return y;
    }

    /**
     * One part: intermediate columns {@code [i0, i1)} of every active expert, from the grouped rows to this part's
     * share of their down projection.
     *
     * @param block this part's gate|up rows {@code [pairs, 2w]}, {@code w = i1 - i0}
     * @param partial this part's {@code [pairs, d]} share of the experts' outputs
     */
    private void expertColumns(ExpertGroups groups, FloatBuffer grouped, ByteBuffer block, FloatBuffer partial, int i0,
                               int i1, NDManager views) {
        int w = i1 - i0;
        FloatBuffer h = block.asFloatBuffer();
        int start = 0;
        for (int e = 0; e < gateUp.length; e++) {
            int n = groups.load(e);
            if (n == 0) {
                continue;
            }
            FloatBuffer rows = SharedMemory.rows(grouped, start, n, dim);
            FloatBuffer hRows = SharedMemory.at(h, (long) start * 2 * w);
            if (w == inter) {
                // all columns: gate and up rows are adjacent in the stacked weight, one GEMM writes [gate | up]
                OpenBlas.gemmNT(n, 2 * w, dim, 1f, rows, dim, gateUp[e], dim, 0f, hRows, 2 * w);
            } else {
                OpenBlas.gemmNT(n, w, dim, 1f, rows, dim, SharedMemory.at(gateUp[e], (long) i0 * dim), dim, 0f,
                        hRows, 2 * w);
                OpenBlas.gemmNT(n, w, dim, 1f, rows, dim, SharedMemory.at(gateUp[e], (long) (inter + i0) * dim), dim,
                        0f, SharedMemory.at(hRows, w), 2 * w);
            }
            GatedSilu.applyInPlace(block, start, n, w, views); // while the rows are still in cache
            // columns [i0, i1) of w2 [d, I]: row stride I
            OpenBlas.gemmNT(n, dim, w, 1f, hRows, 2 * w, SharedMemory.at(down[e], i0), inter, 0f,
                    SharedMemory.at(partial, (long) start * dim), dim);
            start += n;
        }
    }

    /** Tokens {@code [first, end)}: {@code y[t] = Σ_j w[t,j] · Σ_p partial_p[row(t,j)]}, on the heap. */
    private void weightedSum(ExpertGroups groups, int k, float[] weights, FloatBuffer partial, int parts,
                             FloatBuffer y, int first, int end) {
        int pairs = weights.length;
        float[] acc = new float[dim];
        float[] row = new float[dim];
        for (int t = first; t < end; t++) {
            Arrays.fill(acc, 0f);
            for (int j = 0; j < k; j++) {
                int pair = t * k + j;
                float w = weights[pair];
                for (int p = 0; p < parts; p++) {
                    partial.get((p * pairs + groups.rowOfPair(pair)) * dim, row);
                    for (int o = 0; o < dim; o++) {
                        acc[o] += w * row[o];
                    }
                }
            }
            y.put(t * dim, acc);
        }
    }

    @Override
    public int numExperts() {
        return experts.numExperts();
    }
}
