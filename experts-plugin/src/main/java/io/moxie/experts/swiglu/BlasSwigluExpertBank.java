package io.moxie.experts.swiglu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ExpertBank;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;
import io.moxie.blas.GatedSilu;
import io.moxie.blas.Parts;
import io.moxie.blas.SharedMemory;
import io.moxie.blas.ThinProduct;
import io.moxie.experts.BankForward;
import java.nio.FloatBuffer;

/**
 * Mixtral's experts grouped by expert with every GEMM on OpenBLAS over the DJL arrays' own memory:
 * <ol>
 *   <li>group the {@code T·k} (token, slot) pairs by expert ({@link ExpertGroups}) and gather the input rows in that
 *       order, each expert's rows as one block, transposed ({@code [d, n]}: the thin side of its products);</li>
 *   <li>cut the intermediate size {@code I} into one range {@code [i0, i1)} per core ({@link Parts}); each part,
 *       independently and single-threaded, for every active expert: the gate and up units {@code [i0, i1)} of its
 *       rows (two products on the stacked {@code [2I, d]} weight, used as stored, the weights as the long side, in
 *       pieces OpenBLAS runs without packing them: {@link ThinProduct}), then {@code silu(gate)·up} over them
 *       ({@link GatedSilu});</li>
 *   <li>cut the output size {@code d} into one range {@code [o0, o1)} per core; each part, for every active expert:
 *       outputs {@code [o0, o1)} of the down projection over the whole intermediate size, added at once, weighted,
 *       onto columns {@code [o0, o1)} of the tokens' rows of {@code y}.</li>
 * </ol>
 * Splitting the sizes of the weights, not the rows, keeps every core busy for any number of rows, down to a decode
 * step's {@code k} rows, and each part reads only its share of every active expert's weights. Two joins per call;
 * no partial outputs to sum. Stateless apart from the immutable weights, hence thread-safe.
 */
final class BlasSwigluExpertBank implements ExpertBank {
    /** Intermediate units below which a part is not worth a core (and tiny experts stay on one thread). */
    private static final int MIN_UNITS_PER_PART = 128;
    /** Output columns below which a part is not worth a core. */
    private static final int MIN_OUTPUTS_PER_PART = 128;

    private final BankForward call;
    private final SwigluExperts experts;
    private final FloatBuffer[] gateUp;
    private final FloatBuffer[] down;
    private final int dim;
    private final int inter;

    BlasSwigluExpertBank(String layer, SwigluExperts experts) {
        this.call = BankForward.ofMoeLayer(layer, experts.inputSize(), experts.numExperts());
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
        return call.run(x, routing, request, this::compute);
    }

    private NDArray compute(NDArray x, Routing routing, NDManager scratch) {
        ExpertGroups groups = ExpertGroups.of(routing.indices().toLongArray(), routing.topK(), experts.numExperts());
        float[] weights = routing.weights().toFloatArray();
        int k = routing.topK();
        int tokens = Math.toIntExact(x.getShape().get(0));
        int pairs = tokens * k;
        // not zeros(): the engine fills an array this size on its OpenMP pool, whose idle workers would then spin on
        // the cores the parts need; each part zeroes its own columns instead
        if (pairs == 0) {
            return scratch.zeros(new Shape(tokens, dim)); // no token routed (top-0): the experts add nothing
        }
        NDArray y = scratch.create(new Shape(tokens, dim));
        int[] start = new int[gateUp.length + 1];
        for (int e = 0; e < gateUp.length; e++) {
            start[e + 1] = start[e] + groups.load(e);
        }
        float[] rowWeight = new float[pairs];
        for (int pair = 0; pair < pairs; pair++) {
            rowWeight[groups.rowOfPair(pair)] = weights[pair];
        }
        // expert e's input rows, transposed: [d, n] at d start[e]
        FloatBuffer grouped = gatherTransposed(SharedMemory.floats(x), groups, start,
                SharedMemory.floats(scratch.create(new Shape(pairs, dim))));
        // expert e's gate values [I, n] at 2 I start[e], its up values [I, n] right after; its output [d, n] at
        // d start[e]
        FloatBuffer hidden = SharedMemory.floats(scratch.create(new Shape(pairs, 2L * inter)));
        FloatBuffer outputs = SharedMemory.floats(scratch.create(new Shape(pairs, dim)));
        int unitParts = Parts.count(inter, MIN_UNITS_PER_PART);
        Parts.run(unitParts, p -> gatedUnits(start, grouped, hidden, Parts.bound(inter, p, unitParts),
                Parts.bound(inter, p + 1, unitParts)));
        FloatBuffer out = SharedMemory.floats(y);
        int outputParts = Parts.count(dim, MIN_OUTPUTS_PER_PART);
        Parts.run(outputParts, p -> outputColumns(start, groups, rowWeight, hidden, outputs, out, tokens,
                Parts.bound(dim, p, outputParts), Parts.bound(dim, p + 1, outputParts)));
        return y;
    }

    /** Writes each expert's input rows into {@code grouped} transposed, {@code [d, n]}, experts one after another. */
    private FloatBuffer gatherTransposed(FloatBuffer input, ExpertGroups groups, int[] start, FloatBuffer grouped) {
        float[] row = new float[dim];
        float[] block = new float[0];
        for (int e = 0; e < gateUp.length; e++) {
            int n = start[e + 1] - start[e];
            if (block.length < dim * n) {
                block = new float[dim * n];
            }
            for (int c = 0; c < n; c++) {
                input.get(groups.tokenOfRow(start[e] + c) * dim, row, 0, dim);
                for (int i = 0; i < dim; i++) {
                    block[i * n + c] = row[i];
                }
            }
            grouped.put(start[e] * dim, block, 0, dim * n);
        }
        return grouped;
    }

    /**
     * First phase, one part: intermediate units {@code [i0, i1)} of every active expert, {@code silu(gate)·up} of its
     * rows. Each product has the weights as its long side ({@code M}) and the expert's {@code n} rows, transposed, as
     * {@code B} ({@link ThinProduct}: OpenBLAS' small-matrix kernels, no packing of the weights). So an expert's gate
     * and up values come out transposed, {@code [I, n]} each, and this part's units are one contiguous block of each,
     * which {@link GatedSilu} gates as flat arrays.
     */
    private void gatedUnits(int[] start, FloatBuffer grouped, FloatBuffer hidden, int i0, int i1) {
        int w = i1 - i0;
        for (int e = 0; e < gateUp.length; e++) {
            int n = start[e + 1] - start[e];
            if (n == 0) {
                continue;
            }
            FloatBuffer rows = SharedMemory.at(grouped, (long) start[e] * dim, (long) dim * n);
            FloatBuffer gate = SharedMemory.at(hidden, (long) start[e] * 2 * inter + (long) i0 * n, (long) w * n);
            FloatBuffer up = SharedMemory.at(hidden, (long) start[e] * 2 * inter + (long) (inter + i0) * n,
                    (long) w * n);
            ThinProduct.multiply(w, n, dim, SharedMemory.at(gateUp[e], (long) i0 * dim), dim, rows, gate);
            ThinProduct.multiply(w, n, dim, SharedMemory.at(gateUp[e], (long) (inter + i0) * dim), dim, rows, up);
            GatedSilu.apply(gate, up, w * n); // while both are still in cache
        }
    }

    /**
     * Second phase, one part: outputs {@code [o0, o1)} of every active expert, {@code w2[o0:o1, :] · h} over the whole
     * intermediate size (no partial sums to combine), then added, weighted, onto the tokens' rows of {@code y}: an
     * expert's output is transposed, {@code [d, n]}, so this is a transposing scatter, done while the part's block is
     * in cache. Parts write disjoint columns of {@code y}.
     */
    private void outputColumns(int[] start, ExpertGroups groups, float[] rowWeight, FloatBuffer hidden,
                               FloatBuffer outputs, FloatBuffer y, int tokens, int o0, int o1) {
        int width = o1 - o0;
        float[] block = new float[0];
        float[] row = new float[width];
        for (int t = 0; t < tokens; t++) {
            y.put(t * dim + o0, row, 0, width);
        }
        for (int e = 0; e < gateUp.length; e++) {
            int n = start[e + 1] - start[e];
            if (n == 0) {
                continue;
            }
            FloatBuffer result = SharedMemory.at(outputs, (long) start[e] * dim + (long) o0 * n, (long) width * n);
            // rows [o0, o1) of w2 [d, I] times the expert's gated values [I, n] (the gate block, row stride n)
            ThinProduct.multiply(width, n, inter, SharedMemory.at(down[e], (long) o0 * inter), inter,
                    SharedMemory.at(hidden, (long) start[e] * 2 * inter), result);
            if (block.length < width * n) {
                block = new float[width * n];
            }
            result.get(0, block, 0, width * n);
            for (int c = 0; c < n; c++) {
                int yRow = groups.tokenOfRow(start[e] + c) * dim + o0;
                float weight = rowWeight[start[e] + c];
                y.get(yRow, row, 0, width);
                for (int o = 0; o < width; o++) {
                    row[o] += weight * block[o * n + c];
                }
                y.put(yRow, row, 0, width);
            }
        }
    }

    @Override
    public int numExperts() {
        return experts.numExperts();
    }
}
