package io.moxie.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.moxie.api.MoeLayer;
import io.moxie.api.MoeOutput;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One forward call of the decoder over {@code t} rows at absolute positions {@code start .. start+t-1}: what every
 * layer of the call shares (the scratch scope, the RoPE tables, the attention mask, the KV cache if any), and the
 * routing decisions of its MoE layers when asked to keep them. Used by one thread for one call.
 */
final class ForwardPass {
    private final RequestContext request;
    private final NDManager manager;
    private final long start;
    private final long tokens;
    private final KvCache cache;
    private final Rope rope;
    private final double queryScale;
    // built on first use: the fused decode step needs no tables, and they cost a dozen engine operations
    private Rope.Tables tables;
    private final NDArray mask;
    private final Map<String, Routing> routings;

    /**
     * @param manager the call's scratch scope (a sub-manager of the request's), owner of every intermediate
     * @param cache the request's KV cache, or null to attend over this call's rows only (then {@code start} is 0)
     * @param keepRouting whether to keep the routing of every MoE layer (the prefill's, for the outputs)
     */
    ForwardPass(RequestContext request, NDManager manager, DecoderConfig config, Rope rope, long start, long tokens,
                KvCache cache, boolean keepRouting) {
        this.request = request;
        this.manager = manager;
        this.start = start;
        this.tokens = tokens;
        this.cache = cache;
        this.rope = rope;
        this.queryScale = 1 / Math.sqrt(config.headDim());
        this.mask = mask(manager, start, tokens, config.slidingWindow());
        this.routings = keepRouting ? new LinkedHashMap<>() : null;
    }

    /**
     * Returns the additive attention mask {@code [t, start+t]} (0 where a query may look, -inf elsewhere), or null
     * when nothing is masked (a single query within the window): causal, and Mistral's sliding window (a query at
     * P sees keys at positions {@code > P - window}).
     */
    private static NDArray mask(NDManager m, long start, long t, int window) {
        long keys = start + t;
        boolean windowed = window > 0 && keys > window;
        if (t == 1 && !windowed) {
            return null;
        }
        NDArray queryPos = m.arange((int) start, (int) keys, 1, DataType.INT64).expandDims(1);
        NDArray keyPos = m.arange(0, (int) keys, 1, DataType.INT64).expandDims(0);
        NDArray allowed = keyPos.lte(queryPos);
        if (windowed) {
            allowed = allowed.logicalAnd(keyPos.gt(queryPos.sub(window)));
        }
        // log(1) = 0 and log(0) = -inf: exactly the additive mask
        return allowed.toType(DataType.FLOAT32, false).log();
    }

    NDManager manager() {
        return manager;
    }

    long start() {
        return start;
    }

    long tokens() {
        return tokens;
    }

    /** Returns the request's KV cache, or null when this call attends over its own rows only. */
    KvCache cache() {
        return cache;
    }

    Rope.Tables rope() {
        if (tables == null) {
            tables = rope.tables(start, tokens, queryScale, manager);
        }
        return tables;
    }

    /** Returns the additive mask {@code [t, keys]}, or null when no key is masked. */
    NDArray mask() {
        return mask;
    }

    /**
     * Runs a MoE layer on {@code x} and returns its output in {@code x}'s scope (the bank attached it to the
     * request's manager; it is needed only as long as {@code x}). Keeps the routing if this call keeps them.
     */
    NDArray moe(MoeLayer layer, NDArray x) {
        MoeOutput out = layer.forward(x, request);
        out.output().attach(x.getManager());
        if (routings != null) {
            routings.put(layer.name(), out.routing());
        }
        return out.output();
    }

    /** Returns the kept routings by layer name, in the order the layers ran (empty unless asked to keep them). */
    Map<String, Routing> routings() {
        return routings == null ? Map.of() : routings;
    }
}
