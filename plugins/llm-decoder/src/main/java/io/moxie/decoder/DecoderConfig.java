package io.moxie.decoder;

import io.moxie.api.Config;
import io.moxie.api.ModelFormatException;
import java.util.List;

/**
 * The architecture of a Llama / Mistral / Mixtral decoder, with Octavius' LoRA-MoE when configured, read from the
 * Hugging Face {@code config.json} names (overlaid with the stage's settings), plus the stage's own switches.
 *
 * @param vocabSize {@code vocab_size}
 * @param hiddenSize {@code hidden_size} ({@code d})
 * @param intermediateSize {@code intermediate_size} (dense MLP and each Mixtral expert)
 * @param numLayers {@code num_hidden_layers}
 * @param numHeads {@code num_attention_heads}
 * @param numKvHeads {@code num_key_value_heads} (default: {@code numHeads}; 1 = MQA)
 * @param headDim {@code head_dim} (default {@code hidden_size / num_attention_heads})
 * @param rmsNormEps {@code rms_norm_eps}
 * @param ropeTheta {@code rope_theta}
 * @param maxPositions {@code max_position_embeddings}: no position beyond it is ever computed
 * @param tiedEmbeddings {@code tie_word_embeddings}: {@code lm_head} is {@code embed_tokens}
 * @param slidingWindow Mistral's {@code sliding_window} (0: none): a query at P sees keys at positions {@code > P - w}
 * @param localExperts Mixtral's {@code num_local_experts} (0: dense MLP)
 * @param expertsPerToken Mixtral's {@code num_experts_per_tok}
 * @param loraExperts Octavius' {@code num_experts} of the LoRA-MoE (0: no LoRA-MoE)
 * @param loraTopK Octavius' {@code top_k} (2 in the authors' gate)
 * @param loraTargets Octavius' {@code target_modules}, a subset of {@code q_proj, k_proj, v_proj, o_proj}
 * @param kvCache stage switch {@code kv_cache} (default true): prefill once and feed one token per step; false
 *                recomputes the whole sequence at every step (same ids, slower; for checking)
 * @param intermediates stage switch {@code intermediates} (default true): also output {@code prefill_logits},
 *                      {@code step_logits} and {@code prefill_hidden_last_layer{i}}
 * @param tokenizerDir stage setting {@code tokenizer_dir}: the directory that holds {@code tokenizer.json}; null for
 *                     the model directory
 */
record DecoderConfig(int vocabSize, int hiddenSize, int intermediateSize, int numLayers, int numHeads, int numKvHeads,
                     int headDim, double rmsNormEps, double ropeTheta, int maxPositions, boolean tiedEmbeddings,
                     int slidingWindow, int localExperts, int expertsPerToken, int loraExperts, int loraTopK,
                     List<String> loraTargets, boolean kvCache, boolean intermediates,
                     String tokenizerDir) {

    /** The attention projections LoRA-MoE may target, in the order the decoder runs them. */
    static final List<String> PROJECTIONS = List.of("q_proj", "k_proj", "v_proj", "o_proj");

    /**
     * Reads and checks a configuration.
     *
     * @throws ModelFormatException naming the setting that is missing, inconsistent or unsupported
     */
    static DecoderConfig from(Config c) {
        String where = c.source();
        String act = c.getString("hidden_act", "silu");
        if (!"silu".equals(act)) {
            throw new ModelFormatException(where + ": hidden_act '" + act + "' is not supported (the Llama family "
                    + "uses silu)");
        }
        int hidden = positive(c, "hidden_size", c.getInt("hidden_size"));
        int heads = positive(c, "num_attention_heads", c.getInt("num_attention_heads"));
        int kvHeads = positive(c, "num_key_value_heads", c.getInt("num_key_value_heads", heads));
        if (heads % kvHeads != 0) {
            throw new ModelFormatException(where + ": num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        if (!c.has("head_dim") && hidden % heads != 0) {
            throw new ModelFormatException(where + ": hidden_size " + hidden + " is not a multiple of "
                    + "num_attention_heads " + heads + " (give head_dim)");
        }
        int headDim = positive(c, "head_dim", c.getInt("head_dim", hidden / heads));
        if (headDim % 2 != 0) {
            throw new ModelFormatException(where + ": head_dim " + headDim + " must be even for rotary embeddings");
        }
        int localExperts = c.getInt("num_local_experts", 0);
        int perToken = c.getInt("num_experts_per_tok", localExperts > 0 ? 2 : 0);
        if (localExperts > 0 && (perToken < 1 || perToken > localExperts)) {
            throw new ModelFormatException(where + ": num_experts_per_tok " + perToken + " must be in [1, "
                    + localExperts + "]");
        }
        List<String> targets = c.getStringList("target_modules");
        int loraExperts = targets.isEmpty() ? 0 : c.getInt("num_experts");
        int loraTopK = targets.isEmpty() ? 0 : c.getInt("top_k", 2);
        for (String t : targets) {
            if (!PROJECTIONS.contains(t)) {
                throw new ModelFormatException(where + ": target_modules entry '" + t + "' is not one of "
                        + PROJECTIONS);
            }
        }
        if (!targets.isEmpty() && (loraExperts < 1 || loraTopK < 1 || loraTopK > loraExperts)) {
            throw new ModelFormatException(where + ": LoRA-MoE needs num_experts >= 1 and top_k in [1, num_experts], "
                    + "got " + loraExperts + " and " + loraTopK);
        }
        int window = c.getInt("sliding_window", 0);
        return new DecoderConfig(
                positive(c, "vocab_size", c.getInt("vocab_size")), hidden,
                positive(c, "intermediate_size", c.getInt("intermediate_size")),
                positive(c, "num_hidden_layers", c.getInt("num_hidden_layers")), heads, kvHeads, headDim,
                c.getDouble("rms_norm_eps", 1e-6), c.getDouble("rope_theta", 10000.0),
                positive(c, "max_position_embeddings", c.getInt("max_position_embeddings", 4096)),
                c.getBoolean("tie_word_embeddings", false), Math.max(window, 0), localExperts, perToken,
                loraExperts, loraTopK, PROJECTIONS.stream().filter(targets::contains).toList(),
                c.getBoolean("kv_cache", true), c.getBoolean("intermediates", true),
                c.getString("tokenizer_dir", null));
    }

    private static int positive(Config c, String key, int value) {
        if (value < 1) {
            throw new ModelFormatException(c.source() + ": " + key + " must be >= 1, got " + value);
        }
        return value;
    }

    /** Returns whether the MLP of every layer is Mixtral's sparse MoE block. */
    boolean sparseMoe() {
        return localExperts > 0;
    }

    /** Returns whether attention projections carry Octavius' LoRA-MoE. */
    boolean loraMoe() {
        return !loraTargets.isEmpty();
    }

    /** Returns query heads per kv head. */
    int groupSize() {
        return numHeads / numKvHeads;
    }
}
