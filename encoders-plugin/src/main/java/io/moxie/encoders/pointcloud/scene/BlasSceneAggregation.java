package io.moxie.encoders.pointcloud.scene;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.blas.OpenBlas;
import io.moxie.blas.SharedMemory;
import io.moxie.encoders.pointcloud.Octavius3dConfig;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link SceneAggregatorStage}'s maths as one fused pass on the calling thread: every linear map is a single-threaded
 * OpenBLAS {@code sgemm} with the weight used as stored ({@code [out, in]}, {@code CblasTrans}, viewed in place, never
 * copied), the rest (the {@code pos_3d_proj} hidden layer, softmax, residuals, LayerNorms) plain Java loops.
 *
 * <p>Why not DJL: at the authors' sizes (16 queries, a few dozen objects) the stage is about 45 small engine operations
 * whose JNI calls and array bookkeeping cost more than their 0.2 GFLOP; and why not {@link io.moxie.blas.Parts}: at 16
 * rows the fork-join hand-off costs as much as a second core saves (measured, docs/PERFORMANCE.md).
 *
 * <p>Per request: the kept objects' embeddings are computed compacted (a masked object's softmax weight is exactly 0 in
 * the reference, so leaving it out is the same result, README-octavius §4); the GEMM operands live in one scratch array
 * of the request's manager, freed before returning; the outputs are written once into arrays of the request's manager.
 * The biases, LayerNorm parameters, learned queries and their first {@code fc_q} (which no request changes) are heap
 * copies made here once. Only built on the CPU with OpenBLAS loadable; immutable (the weight views are only read, at
 * absolute offsets), hence thread-safe. The views borrow the component's weight arrays, which outlive the stage.
 */
final class BlasSceneAggregation {
    private final int hidden;
    private final int heads;
    private final int headDim;
    private final int queries;
    private final int posHidden;
    private final int llm;
    private final float eps;
    private final float scoreScale;
    /** {@code pos_3d_proj.0} {@code [posHidden, 6]} and its bias: 6 inputs, too narrow for a GEMM to pay. */
    private final float[] pos0;
    private final float[] pos0Bias;
    private final FloatBuffer pos2;
    private final float[] pos2Bias;
    /** The learned queries {@code [Q, H]}: the first layer's query input and residual. */
    private final float[] queryEmbed;
    /** {@code cross_attn.0.fc_q(queries)} {@code [Q, H]}, computed once here (null without layers). */
    private final float[] firstProjected;
    private final List<Attention> cross;
    private final List<Attention> self;
    private final FloatBuffer proj;
    private final float[] projBias;
    private final float[] projNorm;
    private final float[] projNormBias;

    /** One post-LN attention's weights: views of the stored matrices, heap copies of the vectors. */
    private record Attention(FloatBuffer fcQ, float[] fcQBias, FloatBuffer fcK, float[] fcKBias, FloatBuffer fcV,
                             float[] fcVBias, FloatBuffer fcO, float[] fcOBias, float[] norm, float[] normBias) {
        static Attention of(AttentionWeights w) {
            return new Attention(SharedMemory.floats(w.fcQ()), w.fcQBias().toFloatArray(),
                    SharedMemory.floats(w.fcK()), w.fcKBias().toFloatArray(),
                    SharedMemory.floats(w.fcV()), w.fcVBias().toFloatArray(),
                    SharedMemory.floats(w.fcO()), w.fcOBias().toFloatArray(),
                    w.norm().toFloatArray(), w.normBias().toFloatArray());
        }
    }

    private BlasSceneAggregation(Octavius3dConfig c, SceneWeights w) {
        this.hidden = c.hiddenSize();
        this.heads = c.resamplerHeads();
        this.headDim = hidden / heads;
        this.queries = c.numQuery();
        this.posHidden = c.pos3dProjHidden();
        this.llm = c.llmHiddenSize();
        this.eps = c.layerNormEps();
        this.scoreScale = (float) (1 / Math.sqrt(headDim));
        this.pos0 = w.pos0().toFloatArray();
        this.pos0Bias = w.pos0Bias().toFloatArray();
        this.pos2 = SharedMemory.floats(w.pos2());
        this.pos2Bias = w.pos2Bias().toFloatArray();
        this.queryEmbed = w.queries().toFloatArray();
        this.cross = w.crossAttention().stream().map(Attention::of).toList();
        this.self = w.selfAttention().stream().map(Attention::of).toList();
        this.proj = SharedMemory.floats(w.proj());
        this.projBias = w.projBias().toFloatArray();
        this.projNorm = w.projNorm().toFloatArray();
        this.projNormBias = w.projNormBias().toFloatArray();
        this.firstProjected = cross.isEmpty() ? null : firstProjection(w.queries().getManager());
    }

    /**
     * Returns the fused form of the stage's weights, or null when it does not apply (weights not in CPU memory that
     * can be shared, OpenBLAS not loadable), in which case the stage runs on DJL.
     */
    static BlasSceneAggregation ifAvailable(Octavius3dConfig c, SceneWeights w) {
        return OpenBlas.availableFor(w.proj()) ? new BlasSceneAggregation(c, w) : null;
    }

    private float[] firstProjection(NDManager manager) {
        try (NDArray in = manager.create(queryEmbed, new Shape(queries, hidden));
             NDArray out = manager.create(new Shape(queries, hidden))) {
            FloatBuffer projected = SharedMemory.floats(out);
            Attention first = cross.get(0);
            linear(SharedMemory.floats(in), queries, hidden, first.fcQ(), first.fcQBias(), hidden, projected);
            float[] values = new float[queries * hidden];
            projected.get(0, values);
            return values;
        }
    }

    /**
     * Runs the stage on validated inputs.
     *
     * @param features {@code object_features} {@code [m, H]} float32
     * @param boxes the {@code [m, 6]} boxes, row-major
     * @param kept the indices of the objects with mask 1, ascending, at least one
     * @param result the request's manager, which gets the three outputs
     */
    Map<String, NDArray> run(NDArray features, float[] boxes, int[] kept, int m, NDManager result) {
        int n = kept.length;
        int h = hidden;
        int keys = Math.max(n, queries); // the widest key/value set: the objects or, in self-attention, the queries
        Map<String, NDArray> out = new LinkedHashMap<>();
        try (NDManager scratch = result.newSubManager()) {
            Scratch s = new Scratch(scratch, n, keys);
            embedObjects(features, boxes, kept, s.objects, s.boxHidden);
            NDArray embeds = result.create(new Shape(m, h));
            FloatBuffer embedsOut = SharedMemory.floats(embeds);
            float[] zeros = new float[h];
            for (int i = 0, r = 0; i < m; i++) {
                if (r < n && kept[r] == i) {
                    embedsOut.put(i * h, s.objects, r++ * h, h);
                } else {
                    embedsOut.put(i * h, zeros);
                }
            }
            float[] z = queryEmbed.clone();
            s.z.put(0, z);
            for (int i = 0; i < cross.size(); i++) {
                Attention c = cross.get(i);
                if (i == 0) {
                    s.projected.put(0, firstProjected);
                } else {
                    linear(s.z, queries, h, c.fcQ(), c.fcQBias(), h, s.projected);
                }
                attend(c, z, s.objects, n, s);
                Attention a = self.get(i);
                linear(s.z, queries, h, a.fcQ(), a.fcQBias(), h, s.projected);
                attend(a, z, s.z, queries, s);
            }
            NDArray resampled = result.create(new Shape(queries, h));
            SharedMemory.floats(resampled).put(0, z);
            NDArray tokens = result.create(new Shape(queries, llm));
            FloatBuffer tokensOut = SharedMemory.floats(tokens);
            linear(s.z, queries, h, proj, projBias, llm, tokensOut);
            float[] row = new float[llm];
            for (int r = 0; r < queries; r++) {
                tokensOut.get(r * llm, row);
                layerNorm(row, 0, llm, projNorm, projNormBias, eps);
                tokensOut.put(r * llm, row);
            }
            out.put("object_embeds", embeds);
            out.put("resampler_out", resampled);
            out.put("scene_tokens", tokens);
        }
        return out;
    }

    /** The GEMM operands of one request, slices of one array of {@code scratch}. */
    private final class Scratch {
        final FloatBuffer objects;
        final FloatBuffer boxHidden;
        final FloatBuffer z;
        final FloatBuffer projected;
        final FloatBuffer keys;
        final FloatBuffer values;
        final FloatBuffer scores;
        final FloatBuffer merged;
        final FloatBuffer attended;

        Scratch(NDManager scratch, int objectCount, int keyCount) {
            long qh = (long) queries * hidden;
            long kh = (long) keyCount * hidden;
            long[] sizes = {(long) objectCount * hidden, (long) objectCount * posHidden, qh, qh, kh, kh,
                (long) heads * queries * keyCount, qh, qh};
            long total = 0;
            for (long size : sizes) {
                total += size;
            }
            FloatBuffer all = SharedMemory.floats(scratch.create(new Shape(total)));
            FloatBuffer[] parts = new FloatBuffer[sizes.length];
            long at = 0;
            for (int i = 0; i < sizes.length; i++) {
                parts[i] = SharedMemory.at(all, at, sizes[i]);
                at += sizes[i];
            }
            objects = parts[0];
            boxHidden = parts[1];
            z = parts[2];
            projected = parts[3];
            keys = parts[4];
            values = parts[5];
            scores = parts[6];
            merged = parts[7];
            attended = parts[8];
        }
    }

    /**
     * {@code objects [n, H] = features[kept] + pos_3d_proj(boxes[kept])}: the hidden layer (6 inputs, ReLU) in Java,
     * then one GEMM onto rows pre-filled with the features plus the bias.
     */
    private void embedObjects(NDArray features, float[] boxes, int[] kept, FloatBuffer objects, FloatBuffer hiddenOut) {
        int n = kept.length;
        int h = hidden;
        float[] layer = new float[n * posHidden];
        for (int r = 0; r < n; r++) {
            int box = kept[r] * 6;
            for (int j = 0; j < posHidden; j++) {
                float acc = pos0Bias[j];
                for (int a = 0; a < 6; a++) {
                    acc += pos0[j * 6 + a] * boxes[box + a];
                }
                layer[r * posHidden + j] = Math.max(acc, 0f);
            }
        }
        hiddenOut.put(0, layer);
        // the one copy of the input: a view of the request's array where its memory can be shared
        FloatBuffer in = SharedMemory.shareable(features) ? SharedMemory.floats(features)
                : FloatBuffer.wrap(features.toFloatArray());
        float[] row = new float[h];
        for (int r = 0; r < n; r++) {
            in.get(kept[r] * h, row);
            for (int j = 0; j < h; j++) {
                row[j] += pos2Bias[j];
            }
            objects.put(r * h, row);
        }
        OpenBlas.gemmNT(n, h, posHidden, 1f, hiddenOut, posHidden, pos2, posHidden, 1f, objects, h);
    }

    /**
     * One post-LN attention: {@code z = LN(z + fc_o(softmax(q kᵀ / sqrt(dk)) v))} with {@code q = s.projected} (the
     * caller's {@code fc_q(z)}) and keys and values from {@code kv [nk, H]}. Updates {@code z} and {@code s.z}.
     */
    private void attend(Attention p, float[] z, FloatBuffer kv, int nk, Scratch s) {
        int h = hidden;
        int q = queries;
        linear(kv, nk, h, p.fcK(), p.fcKBias(), h, s.keys);
        linear(kv, nk, h, p.fcV(), p.fcVBias(), h, s.values);
        for (int head = 0; head < heads; head++) {
            int column = head * headDim;
            OpenBlas.gemmNT(q, nk, headDim, scoreScale, SharedMemory.at(s.projected, column), h,
                    SharedMemory.at(s.keys, column), h, 0f, SharedMemory.at(s.scores, (long) head * q * nk), nk);
        }
        float[] weights = new float[heads * q * nk];
        s.scores.get(0, weights);
        for (int r = 0; r < heads * q; r++) {
            softmax(weights, r * nk, nk);
        }
        s.scores.put(0, weights);
        for (int head = 0; head < heads; head++) {
            int column = head * headDim;
            OpenBlas.gemmNN(q, headDim, nk, 1f, SharedMemory.at(s.scores, (long) head * q * nk), nk,
                    SharedMemory.at(s.values, column), h, 0f, SharedMemory.at(s.merged, column), h);
        }
        // the residual and fc_o's bias first, the GEMM adds onto them (beta = 1)
        float[] sum = new float[q * h];
        for (int r = 0; r < q; r++) {
            for (int j = 0; j < h; j++) {
                sum[r * h + j] = z[r * h + j] + p.fcOBias()[j];
            }
        }
        s.attended.put(0, sum);
        OpenBlas.gemmNT(q, h, h, 1f, s.merged, h, p.fcO(), h, 1f, s.attended, h);
        s.attended.get(0, z);
        for (int r = 0; r < q; r++) {
            layerNorm(z, r * h, h, p.norm(), p.normBias(), eps);
        }
        s.z.put(0, z);
    }

    /** {@code y [rows, out] = x [rows, in] · Wᵀ + b}, {@code W [out, in]} as stored, onto rows pre-filled with b. */
    private static void linear(FloatBuffer x, int rows, int in, FloatBuffer weight, float[] bias, int out, FloatBuffer y) {
        for (int r = 0; r < rows; r++) {
            y.put(r * out, bias);
        }
        OpenBlas.gemmNT(rows, out, in, 1f, x, in, weight, in, 1f, y, out);
    }

    /** Softmax of {@code x[from, from + n)} in place ({@code exp(x - max) / sum}, as PyTorch), the sum in double. */
    static void softmax(float[] x, int from, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = from; i < from + n; i++) {
            max = Math.max(max, x[i]);
        }
        double sum = 0;
        for (int i = from; i < from + n; i++) {
            float e = (float) Math.exp(x[i] - max);
            x[i] = e;
            sum += e;
        }
        float inverse = (float) (1 / sum);
        for (int i = from; i < from + n; i++) {
            x[i] *= inverse;
        }
    }

    /**
     * {@code torch.nn.LayerNorm} of {@code x[from, from + n)} in place: population variance, {@code eps} inside the
     * square root. Mean and variance are summed in double over four running sums (independent additions, so the loop
     * is not bound by one add's latency; double keeps the result at least as close as PyTorch's float sums).
     */
    static void layerNorm(float[] x, int from, int n, float[] gamma, float[] beta, float eps) {
        int end = from + n;
        int quads = from + (n & ~3);
        double s0 = 0;
        double s1 = 0;
        double s2 = 0;
        double s3 = 0;
        int i = from;
        for (; i < quads; i += 4) {
            s0 += x[i];
            s1 += x[i + 1];
            s2 += x[i + 2];
            s3 += x[i + 3];
        }
        for (; i < end; i++) {
            s0 += x[i];
        }
        double mean = (s0 + s1 + s2 + s3) / n;
        s0 = 0;
        s1 = 0;
        s2 = 0;
        s3 = 0;
        for (i = from; i < quads; i += 4) {
            double d0 = x[i] - mean;
            double d1 = x[i + 1] - mean;
            double d2 = x[i + 2] - mean;
            double d3 = x[i + 3] - mean;
            s0 += d0 * d0;
            s1 += d1 * d1;
            s2 += d2 * d2;
            s3 += d3 * d3;
        }
        for (; i < end; i++) {
            double d = x[i] - mean;
            s0 += d * d;
        }
        double rstd = 1 / Math.sqrt((s0 + s1 + s2 + s3) / n + eps);
        float m = (float) mean;
        float scale = (float) rstd;
        for (int j = 0; j < n; j++) {
            x[from + j] = (x[from + j] - m) * scale * gamma[j] + beta[j];
        }
    }
}
