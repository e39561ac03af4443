package io.moxie.encoders.pointcloud.scene;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.blas.OpenBlas;
import io.moxie.blas.Parts;
import io.moxie.blas.SharedMemory;
import io.moxie.blas.Softmax;
import io.moxie.blas.ThinProduct;
import io.moxie.encoders.pointcloud.Octavius3dConfig;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@link SceneAggregatorStage}'s maths as one fused pass: every linear map is an OpenBLAS {@code sgemm} on the weight
 * as stored ({@code [out, in]}, viewed in place, never copied), the rest (the {@code pos_3d_proj} hidden layer,
 * attention softmax, residuals, LayerNorms) plain Java loops; no engine operation at all.
 *
 * <p>Why not DJL: at the authors' sizes (16 queries, a few dozen objects) the stage is about 45 small engine operations
 * whose JNI calls and array bookkeeping cost more than their 0.2 GFLOP. Why the linear maps still run in
 * {@link Parts} (one per core, each single-threaded GEMMs on its share of the output features): the stage reads 35 MB
 * of weights once per call, and one core alone cannot stream them as fast as the reference, whose OpenBLAS runs every
 * GEMM of 16 rows on all cores (its {@code llama_proj_3d} is 1.5 ms on 2 threads, 2.7 ms on one; docs/PERFORMANCE.md).
 * The maps that read the same input (k and v of the objects; q, k and v of the queries) share one fork and join.
 *
 * <p>Per request: the kept objects' embeddings are computed compacted (a masked object's softmax weight is exactly 0 in
 * the reference, so leaving it out is the same result, README-octavius §4); the GEMM operands live in one scratch array
 * of the request's manager, freed before returning; the outputs are written once into arrays of the request's manager.
 * The biases, LayerNorm parameters, learned queries and their first {@code fc_q} (which no request changes) are heap
 * copies made here once. Only built on the CPU with OpenBLAS loadable; immutable (the weight views are only read, at
 * absolute offsets), hence thread-safe. The views borrow the component's weight arrays, which outlive the stage.
 */
final class BlasSceneAggregation {
    /** Fewer outputs than this per part and the split costs more than it saves (as in {@link io.moxie.blas.BlasLinear}). */
    private static final int MIN_UNITS = 64;
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

    /** Returns {@code fc_q(queries) [Q, H]} of the first cross-attention. */
    private float[] firstProjection(NDManager manager) {
        try (NDManager scratch = manager.newSubManager()) {
            Request r = new Request(scratch, queries);
            Attention first = cross.get(0);
            return r.linear(queryEmbed, queries, hidden, first.fcQ(), first.fcQBias(), hidden);
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
        Map<String, NDArray> out = new LinkedHashMap<>();
        try (NDManager scratch = result.newSubManager()) {
            Request r = new Request(scratch, Math.max(n, queries));
            float[] objects = embedObjects(features, boxes, kept, r);
            NDArray embeds = result.create(new Shape(m, h));
            FloatBuffer embedsOut = SharedMemory.floats(embeds);
            float[] zeros = new float[h];
            for (int i = 0, k = 0; i < m; i++) {
                if (k < n && kept[k] == i) {
                    embedsOut.put(i * h, objects, k++ * h, h);
                } else {
                    embedsOut.put(i * h, zeros);
                }
            }
            float[] z = queryEmbed.clone();
            for (int i = 0; i < cross.size(); i++) {
                Attention c = cross.get(i);
                float[] query = i == 0 ? firstProjected : r.linear(z, queries, h, c.fcQ(), c.fcQBias(), h);
                r.input.put(0, objects);
                float[][] kv = r.linear(n, h, h, new FloatBuffer[] {c.fcK(), c.fcV()},
                        new float[][] {c.fcKBias(), c.fcVBias()});
                z = attend(c, z, query, kv[0], kv[1], n, r);
                Attention a = self.get(i);
                r.input.put(0, z);
                float[][] qkv = r.linear(queries, h, h, new FloatBuffer[] {a.fcQ(), a.fcK(), a.fcV()},
                        new float[][] {a.fcQBias(), a.fcKBias(), a.fcVBias()});
                z = attend(a, z, qkv[0], qkv[1], qkv[2], queries, r);
            }
            NDArray resampled = result.create(new Shape(queries, h));
            SharedMemory.floats(resampled).put(0, z);
            float[] projected = r.linear(z, queries, h, proj, projBias, llm);
            for (int q = 0; q < queries; q++) {
                layerNorm(projected, q * llm, llm, projNorm, projNormBias, eps);
            }
            NDArray tokens = result.create(new Shape(queries, llm));
            SharedMemory.floats(tokens).put(0, projected);
            out.put("object_embeds", embeds);
            out.put("resampler_out", resampled);
            out.put("scene_tokens", tokens);
        }
        return out;
    }

    /**
     * One request's GEMM operands, slices of one array of the request's scratch manager (direct memory that OpenBLAS
     * reads in place); the Java loops work on heap copies.
     */
    private final class Request {
        /** A linear map's input {@code x [rows, in]}, row-major. */
        final FloatBuffer input;
        /** The same, transposed {@code [in, rows]}: the thin right operand of {@code W · xᵀ}. */
        final FloatBuffer inputT;
        /** Up to three linear maps' outputs, transposed: {@code W · xᵀ}, {@code [out, rows]}. */
        final FloatBuffer[] outputs = new FloatBuffer[3];
        /** One attention's q, k and v, row-major {@code [rows, H]}, and its scores {@code [heads, Q, nk]}. */
        final FloatBuffer q;
        final FloatBuffer k;
        final FloatBuffer v;
        final FloatBuffer scores;

        Request(NDManager scratch, int maxRows) {
            long size = (long) maxRows * Math.max(hidden, posHidden);
            long rows = (long) maxRows * hidden;
            long projected = Math.max(size, (long) queries * llm);
            FloatBuffer[] parts = SharedMemory.slices(scratch, size, projected, size, size, rows, rows, rows,
                    (long) heads * queries * maxRows, size);
            input = parts[0];
            System.arraycopy(parts, 1, outputs, 0, 3);
            q = parts[4];
            k = parts[5];
            v = parts[6];
            scores = parts[7];
            inputT = parts[8];
        }

        /** {@link #linear(int, int, int, FloatBuffer[], float[][])} of one map of {@code x}, put into the input. */
        float[] linear(float[] x, int rows, int in, FloatBuffer weight, float[] bias, int out) {
            input.put(0, x, 0, rows * in);
            return linear(rows, in, out, new FloatBuffer[] {weight}, new float[][] {bias})[0];
        }

        /**
         * Returns {@code yᵢ = x · Wᵢᵀ + bᵢ} {@code [rows, out]} (new arrays) for up to three maps of the same
         * {@code x} = {@link #input} {@code [rows, in]}, in parts over the outputs ({@link Parts}: each part multiplies
         * its rows of every {@code Wᵢ} and transposes its columns of every {@code yᵢ}; one fork and join for all).
         *
         * <p>Computed transposed, {@code yᵀ = W · xᵀ}, with the weight as the left operand: at 12-48 rows OpenBLAS runs
         * that faster than {@code x · Wᵀ} (the weight is then the operand it packs block by block; 768 outputs: 0.23
         * against 0.34 ms at 16 rows; {@code llama_proj_3d}'s 5120 in two parts: about 10 % faster), more than the
         * transpose back costs. The products run as {@link ThinProduct} pieces ({@code xᵀ} is the thin operand):
         * OpenBLAS' small-matrix kernels read the weight in place instead of packing it, which took the fused path
         * (called in turn with the DJL one) from 7.6 to 4.6 ms (16 objects, median of 300 calls; 2026-11-28, load
         * 1.3-1.6).
         */
        float[][] linear(int rows, int in, int out, FloatBuffer[] weights, float[][] biases) {
            float[] x = new float[rows * in];
            input.get(0, x);
            float[] xT = new float[rows * in];
            for (int i = 0; i < rows; i++) {
                for (int j = 0; j < in; j++) {
                    xT[j * rows + i] = x[i * in + j];
                }
            }
            inputT.put(0, xT);
            float[][] y = new float[weights.length][rows * out];
            int parts = Parts.count(out, MIN_UNITS);
            Parts.run(parts, p -> {
                int o0 = Parts.bound(out, p, parts);
                int o1 = Parts.bound(out, p + 1, parts);
                float[] t = new float[(o1 - o0) * rows];
                for (int w = 0; w < weights.length; w++) {
                    FloatBuffer yT = SharedMemory.at(outputs[w], (long) o0 * rows);
                    ThinProduct.multiply(o1 - o0, rows, in, SharedMemory.at(weights[w], (long) o0 * in), in, inputT,
                            yT);
                    yT.get(0, t);
                    float[] yw = y[w];
                    for (int j = o0; j < o1; j++) {
                        float b = biases[w][j];
                        for (int i = 0; i < rows; i++) {
                            yw[i * out + j] = t[(j - o0) * rows + i] + b;
                        }
                    }
                }
            });
            return y;
        }
    }

    /**
     * Returns {@code objects [n, H] = features[kept] + pos_3d_proj(boxes[kept])}: the hidden layer (6 inputs, ReLU)
     * in Java, the second layer on OpenBLAS.
     */
    private float[] embedObjects(NDArray features, float[] boxes, int[] kept, Request r) {
        int n = kept.length;
        int h = hidden;
        float[] layer = new float[n * posHidden];
        for (int k = 0; k < n; k++) {
            int box = kept[k] * 6;
            for (int j = 0; j < posHidden; j++) {
                float acc = pos0Bias[j];
                for (int a = 0; a < 6; a++) {
                    acc += pos0[j * 6 + a] * boxes[box + a];
                }
                layer[k * posHidden + j] = Math.max(acc, 0f);
            }
        }
        float[] objects = r.linear(layer, n, posHidden, pos2, pos2Bias, h);
        // the one copy of the input: a view of the request's array where its memory can be shared
        FloatBuffer in = SharedMemory.shareable(features) ? SharedMemory.floats(features)
                : FloatBuffer.wrap(features.toFloatArray());
        float[] row = new float[h];
        for (int k = 0; k < n; k++) {
            in.get(kept[k] * h, row);
            for (int j = 0; j < h; j++) {
                objects[k * h + j] += row[j];
            }
        }
        return objects;
    }

    /**
     * One post-LN attention: returns {@code LN(z + fc_o(softmax(q kᵀ / sqrt(dk)) v))}, {@code z [Q, H]}, given
     * {@code q = fc_q(z) [Q, H]}, {@code k = fc_k(kv)} and {@code v = fc_v(kv)} {@code [nk, H]}. Per head,
     * the scores and the weighted sum are two small GEMMs over column blocks of q, k and v read in place; the softmax
     * between them runs in Java.
     */
    private float[] attend(Attention p, float[] z, float[] query, float[] keys, float[] values, int nk, Request r) {
        int h = hidden;
        int nq = queries;
        r.q.put(0, query);
        r.k.put(0, keys);
        r.v.put(0, values);
        for (int head = 0; head < heads; head++) {
            int column = head * headDim;
            OpenBlas.gemmNT(nq, nk, headDim, scoreScale, SharedMemory.at(r.q, column), h,
                    SharedMemory.at(r.k, column), h, 0f, SharedMemory.at(r.scores, (long) head * nq * nk), nk);
        }
        float[] weights = new float[heads * nq * nk];
        r.scores.get(0, weights);
        Softmax.rowsInPlace(weights, heads * nq, nk);
        r.scores.put(0, weights);
        for (int head = 0; head < heads; head++) {
            int column = head * headDim;
            OpenBlas.gemmNN(nq, headDim, nk, 1f, SharedMemory.at(r.scores, (long) head * nq * nk), nk,
                    SharedMemory.at(r.v, column), h, 0f, SharedMemory.at(r.input, column), h);
        }
        float[] next = r.linear(nq, h, h, new FloatBuffer[] {p.fcO()}, new float[][] {p.fcOBias()})[0];
        for (int i = 0; i < nq; i++) {
            for (int j = i * h; j < (i + 1) * h; j++) {
                next[j] += z[j];
            }
            layerNorm(next, i * h, h, p.norm(), p.normBias(), eps);
        }
        return next;
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
