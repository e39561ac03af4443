package io.moxie.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

/**
 * Grouped-query self-attention of one layer (MHA when {@code kv_heads = heads}, MQA when 1), HF Llama semantics: q, k,
 * v projections (head h in columns {@code h·head_dim ..}), RoPE on q and k, keys and values appended to the KV cache,
 * causal (and sliding-window) masking, softmax over keys in float32, output projection.
 *
 * <p>Query head h reads kv head {@code h / group}. Instead of repeating the keys {@code group} times (HF
 * {@code repeat_kv}, a copy of the whole cache per step), the {@code group} query heads of each kv head are stacked as
 * extra rows, so one batched GEMM per kv head scores them all against the cached keys in place. When q, k and v come
 * from one fused projection, one split takes them apart (views). RoPE uses the call's rotations ({@link Rope}: one
 * batched product per tensor in a decode step), the queries' carrying the {@code 1 / sqrt(head_dim)} score scale. A
 * decode step's cost is mostly the number of tensor operations, hence these fusions. A long call (a prompt of more
 * than {@link #BLOCK_ROWS} rows) attends its query rows in blocks, each over the keys up to its last position.
 * Immutable.
 */
final class Attention {
    /**
     * Query rows attended at once: a call over more rows (a long prompt) runs in blocks of this many, so that its score
     * maps stay near {@code heads · 256 · keys} floats (a 4096-token prompt's full map at 32 heads would be 2 GB).
     */
    static final long BLOCK_ROWS = 256;

    private final long blockRows;
    private final int window;
    private final int layer;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final Projection qkv;
    private final Projection[] separate;
    private final Projection out;
    // where the fused projection's output [t, heads + 2 kv_heads, head_dim] splits into q, k and v
    private final long[] splits;

    /**
     * @param qkv the fused q/k/v projection {@code [d] -> [(heads + 2 kv_heads) head_dim]}, or null when they are
     *            separate (some are LoRA-MoE layers)
     * @param separate q, k, v projections when {@code qkv} is null
     */
    Attention(int layer, DecoderConfig config, Projection qkv, Projection[] separate, Projection out) {
        this(layer, config, qkv, separate, out, BLOCK_ROWS);
    }

    /** @param blockRows query rows attended at once in a long call */
    Attention(int layer, DecoderConfig config, Projection qkv, Projection[] separate, Projection out, long blockRows) {
        if (blockRows < 1) {
            throw new IllegalArgumentException("attention blocks of " + blockRows + " rows");
        }
        this.blockRows = blockRows;
        this.window = config.slidingWindow();
        this.layer = layer;
        this.heads = config.numHeads();
        this.kvHeads = config.numKvHeads();
        this.headDim = config.headDim();
        this.qkv = qkv;
        this.separate = separate;
        this.out = out;
        this.splits = new long[] {heads, heads + kvHeads};
    }

    /** Returns the fused q/k/v projection, or null when q, k and v are separate. */
    Projection qkv() {
        return qkv;
    }

    Projection out() {
        return out;
    }

    /** Attends {@code a [t, d]} (the normalised residual) and returns {@code o [t, d]} in {@code a}'s scope (the layer's). */
    NDArray forward(NDArray a, ForwardPass pass) {
        long t = pass.tokens();
        NDArray q;
        NDArray k;
        NDArray v;
        if (qkv != null) {
            NDList parts = qkv.apply(a, pass).reshape(t, heads + 2L * kvHeads, headDim).split(splits, 1);
            q = parts.get(0);
            k = parts.get(1);
            v = parts.get(2);
        } else {
            q = separate[0].apply(a, pass).reshape(t, heads, headDim);
            k = separate[1].apply(a, pass).reshape(t, kvHeads, headDim);
            v = separate[2].apply(a, pass).reshape(t, kvHeads, headDim);
        }
        q = pass.rope().queries().apply(q); // scaled by 1 / sqrt(head_dim)
        k = pass.rope().keys().apply(k);
        NDArray keys = k.transpose(1, 0, 2);
        NDArray values = v.transpose(1, 0, 2);
        KvCache cache = pass.cache();
        if (cache != null) {
            long end = pass.start() + t;
            cache.write(layer, pass.start(), keys, values);
            NDManager m = a.getManager(); // views of the cache, closed with the layer
            keys = cache.keys(layer, end, m);
            values = cache.values(layer, end, m);
        }
        NDArray context;
        if (t <= blockRows) {
            context = attend(q, keys, values, pass.mask(), t);
        } else {
            // query rows in blocks: a block's scores are [heads, block, keys], not [heads, t, t], and a causal block
            // reads only the keys up to its last position (a quarter fewer score FLOPs at 527 rows) and, under a
            // sliding window, from its first row's window on
            NDManager layerScope = a.getManager();
            NDList blocks = new NDList();
            for (long r0 = 0; r0 < t; r0 += blockRows) {
                long r1 = Math.min(t, r0 + blockRows);
                long limit = pass.start() + r1;
                long from = window > 0 ? Math.max(0, pass.start() + r0 - window + 1) : 0;
                try (NDManager block = layerScope.newSubManager()) {
                    NDArray c = attend(q.get(block, new NDIndex("{}:{}", r0, r1)),
                            keys.get(block, new NDIndex(":, {}:{}", from, limit)),
                            values.get(block, new NDIndex(":, {}:{}", from, limit)),
                            pass.mask().get(block, new NDIndex("{}:{}, {}:{}", r0, r1, from, limit)), r1 - r0);
                    c.attach(layerScope);
                    blocks.add(c);
                }
            }
            context = NDArrays.concat(blocks, 0);
        }
        return out.apply(context, pass);
    }

    /**
     * Softmax attention of {@code t} query rows {@code q [t, heads, hd]} (RoPE'd and scaled) over {@code keys} and
     * {@code values [kv_heads, K, hd]}, with the additive {@code mask [t, K]} or none; returns {@code [t, heads·hd]}.
     */
    private NDArray attend(NDArray q, NDArray keys, NDArray values, NDArray mask, long t) {
        long group = heads / kvHeads;
        long keyCount = keys.getShape().get(1);
        // [t, heads, hd] -> [kv_heads, group·t, hd]: row (g, i) is query head kv·group + g at query position i
        NDArray grouped = t == 1 ? q.reshape(kvHeads, group, headDim)
                : q.reshape(t, kvHeads, group, headDim).transpose(1, 2, 0, 3).reshape(kvHeads, group * t, headDim);
        NDArray scores = grouped.matMul(keys.transpose(0, 2, 1));
        if (mask != null) {
            scores = scores.reshape(kvHeads, group, t, keyCount).addi(mask).reshape(kvHeads, group * t, keyCount);
        }
        NDArray context = scores.softmax(-1).matMul(values);
        long width = (long) heads * headDim;
        return t == 1 ? context.reshape(1, width)
                : context.reshape(kvHeads, group, t, headDim).transpose(2, 0, 1, 3).reshape(t, width);
    }
}
