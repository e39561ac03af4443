package io.moxie.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import io.moxie.api.RequestCancelledException;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Prefill and token-by-token generation for one request (README-decoder.md, "Generation"): prefill the spliced
 * prompt once, then choose a token from the last logits, append it, stop on eos / a stop sequence /
 * {@code max_new_tokens} / {@code max_position_embeddings}, and otherwise feed it back.
 *
 * <p>With the KV cache (default) each step runs the model on one row, reading earlier keys and values from a
 * preallocated cache in the request's state. Without it (stage setting {@code kv_cache: false}) every step recomputes
 * the whole sequence; the ids are the same. Every forward call computes in its own scratch scope, so a long generation
 * holds only the cache, the kept logits and the routing decisions, not the intermediates of earlier steps.
 */
final class Generator {
    private final DecoderModel model;
    private final DecoderConfig config;
    private final String cacheKey;

    /** @param cacheKey the request-state key of the KV cache (unique to the stage) */
    Generator(DecoderModel model, String cacheKey) {
        this.model = model;
        this.config = model.config();
        this.cacheKey = cacheKey;
    }

    /**
     * Generates.
     *
     * @param prompt the spliced prompt embeddings {@code [T', d]}, in the request's manager ({@code T'} within
     *               {@code max_position_embeddings}, checked by the caller)
     */
    Generation run(NDArray prompt, GenerationSettings settings, RequestContext request, TokenStream stream) {
        NDManager results = request.manager();
        long promptLength = prompt.getShape().get(0);
        // a generated id is fed back at the next position; none may pass max_position_embeddings
        int maxNew = (int) Math.min(settings.maxNewTokens(), config.maxPositions() - promptLength + 1);
        boolean keep = config.intermediates();
        KvCache cache = config.kvCache()
                ? request.computeIfAbsent(cacheKey, k -> new KvCache(results, config,
                        Math.max(promptLength + maxNew - 1, promptLength)))
                : null;

        Step prefill = forward(prompt, 0, cache, true, keep, request);
        NDArray last = prefill.lastLogits;
        TokenSampler sampler = new TokenSampler(settings);
        long[] ids = new long[maxNew];
        List<NDArray> stepLogits = new ArrayList<>();
        NDArray sequence = prompt;
        int n = 0;
        while (n < maxNew) {
            if (request.isCancelled()) {
                throw new RequestCancelledException("request " + request.id() + " was cancelled after " + n
                        + " generated tokens");
            }
            ids[n++] = sampler.next(last);
            stream.generated(ids, n);
            if (keep) {
                stepLogits.add(last);
            } else if (last != prefill.lastLogits) {
                last.close();
            }
            if (n == maxNew || settings.stopsAfter(ids, n)) {
                break;
            }
            NDArray token = model.embed(new long[] {ids[n - 1]}, results);
            if (cache != null) {
                last = forward(token, promptLength + n - 1, cache, false, false, request).lastLogits;
                token.close();
            } else {
                NDArray longer = NDArrays.concat(new NDList(sequence, token), 0);
                if (sequence != prompt) {
                    sequence.close();
                }
                token.close();
                sequence = longer;
                last = forward(sequence, 0, null, false, false, request).lastLogits;
            }
        }
        return new Generation(Arrays.copyOf(ids, n), promptLength, prefill.logits, stepLogits, prefill.hiddenLast,
                prefill.routing);
    }

    /** Told of every generated token as soon as it is chosen (streaming). */
    @FunctionalInterface
    interface TokenStream {
        /** The first {@code n} entries of {@code ids} are the tokens generated so far. */
        void generated(long[] ids, int n);
    }

    /** One forward call's results, in the request's manager. */
    private record Step(NDArray logits, NDArray lastLogits, List<NDArray> hiddenLast, Map<String, Routing> routing) {
    }

    /**
     * Runs the model on {@code rows [t, d]} at positions {@code start ..}; intermediates live in a scratch scope.
     *
     * @param prefill whether to keep the routing (and, with {@code keepAll}, every row's logits and the per-layer
     *                hidden state of the last row)
     */
    private Step forward(NDArray rows, long start, KvCache cache, boolean prefill, boolean keepAll,
                         RequestContext request) {
        NDManager results = request.manager();
        try (NDManager scratch = results.newSubManager()) {
            rows.tempAttach(scratch);
            long t = rows.getShape().get(0);
            ForwardPass pass = new ForwardPass(request, scratch, config, model.rope(), start, t, cache, prefill);
            List<NDArray> hiddenLast = new ArrayList<>();
            NDArray h = model.layers(rows, pass, prefill && keepAll ? (x, i) -> {
                // a copy: a view would keep the layer's whole [t, d] output alive until the request ends
                NDArray row = x.get(t - 1).duplicate();
                row.attach(results);
                hiddenLast.add(row);
            } : null);
            NDArray logits = model.logits(prefill && keepAll ? h : h.get(new NDIndex("{}:", t - 1)));
            NDArray lastLogits = logits.get(logits.getShape().get(0) - 1);
            // a view: it keeps the logits' storage alive when the scratch scope closes the full array
            lastLogits.attach(results);
            if (prefill) {
                logits.attach(results);
            }
            return new Step(logits, lastLogits, hiddenLast, pass.routings());
        }
    }
}
