package io.moxie.decoder;

import io.moxie.api.Config;
import io.moxie.api.InvalidInputException;
import io.moxie.api.MoxieException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * How one request generates. Sources, later ones winning: the model's {@code config.json} ({@code max_new_tokens},
 * {@code eos_token_id}: a number or a list), the stage config's {@code generation} section (all names below), the
 * request's parameters (same names, as strings), and the optional {@code max_new_tokens} input.
 *
 * <p>Names: {@code max_new_tokens} (default 32), {@code eos_token_id} (one id, or ids separated by {@code ,}),
 * {@code do_sample} (default false: greedy), {@code temperature} (&gt; 0, default 1), {@code top_p} (in (0, 1],
 * default 1), {@code top_k} (0 = off), {@code seed} (sampling is reproducible for a given seed; random without one),
 * {@code stop_sequences} (token-id sequences; as a parameter: sequences separated by {@code ;}, ids by {@code ,}).
 * Generation stops after appending an eos id or the last id of a stop sequence (both kept in the output, as HF
 * {@code generate} does), or after {@code max_new_tokens} ids.
 *
 * @param maxNewTokens at most this many generated ids
 * @param eosTokenIds ids that end generation (may be empty)
 * @param stopSequences id sequences that end generation
 * @param doSample sample instead of taking the argmax
 * @param temperature logits are divided by it before sampling
 * @param topP nucleus: sample among the most probable ids whose probabilities reach {@code topP}
 * @param topK sample among the {@code topK} most probable ids (0: all)
 * @param seed the sampler's seed, if any
 */
record GenerationSettings(int maxNewTokens, long[] eosTokenIds, List<long[]> stopSequences, boolean doSample,
                          double temperature, double topP, int topK, OptionalLong seed) {
    static final int DEFAULT_MAX_NEW_TOKENS = 32;

    /**
     * Resolves the settings of one request.
     *
     * @param config the stage's configuration (model config overlaid with stage settings)
     * @param parameters the request's parameters
     * @param maxNewTokensInput the {@code max_new_tokens} input's value, or empty
     * @throws InvalidInputException if a request parameter or input is malformed or out of range
     * @throws MoxieException if the configuration is
     */
    static GenerationSettings resolve(Config config, Map<String, String> parameters, OptionalLong maxNewTokensInput) {
        Config gen = config.getSection("generation");
        int maxNew = gen.getInt("max_new_tokens", config.getInt("max_new_tokens", DEFAULT_MAX_NEW_TOKENS));
        long[] eos = ids(gen.get("eos_token_id").orElse(config.get("eos_token_id").orElse(null)), config.source());
        boolean doSample = gen.getBoolean("do_sample", false);
        double temperature = gen.getDouble("temperature", 1.0);
        double topP = gen.getDouble("top_p", 1.0);
        int topK = gen.getInt("top_k", 0);
        OptionalLong seed = gen.has("seed") ? OptionalLong.of((long) gen.getDouble("seed")) : OptionalLong.empty();
        List<long[]> stops = new ArrayList<>();
        Object configured = gen.get("stop_sequences").orElse(List.of());
        for (Object s : configured instanceof List<?> l ? l : List.of(configured)) {
            stops.add(ids(s, config.source() + " / generation / stop_sequences"));
        }

        Params p = new Params(parameters);
        maxNew = p.integer("max_new_tokens", maxNew);
        if (maxNewTokensInput.isPresent()) {
            maxNew = (int) Math.min(Integer.MAX_VALUE, maxNewTokensInput.getAsLong());
        }
        eos = p.has("eos_token_id") ? p.idList("eos_token_id", p.get("eos_token_id")) : eos;
        doSample = p.bool("do_sample", doSample);
        temperature = p.number("temperature", temperature);
        topP = p.number("top_p", topP);
        topK = p.integer("top_k", topK);
        seed = p.has("seed") ? OptionalLong.of(p.whole("seed", 0)) : seed;
        if (p.has("stop_sequences")) {
            stops = new ArrayList<>();
            for (String s : p.get("stop_sequences").split(";")) {
                if (!s.isBlank()) {
                    stops.add(p.idList("stop_sequences", s));
                }
            }
        }
        if (maxNew < 0) {
            throw new InvalidInputException("max_new_tokens must be >= 0, got " + maxNew);
        }
        if (!(temperature > 0) || !(topP > 0 && topP <= 1) || topK < 0) {
            throw new InvalidInputException("sampling needs temperature > 0, top_p in (0, 1] and top_k >= 0, got "
                    + temperature + ", " + topP + ", " + topK);
        }
        for (long[] s : stops) {
            if (s.length == 0) {
                throw new InvalidInputException("stop_sequences: a stop sequence is empty");
            }
        }
        return new GenerationSettings(maxNew, eos, List.copyOf(stops), doSample, temperature, topP, topK, seed);
    }

    /** Returns whether generation ends after {@code generated} (ids so far, the newest last). */
    boolean stopsAfter(long[] generated, int count) {
        long last = generated[count - 1];
        for (long e : eosTokenIds) {
            if (e == last) {
                return true;
            }
        }
        for (long[] s : stopSequences) {
            if (s.length <= count && Arrays.equals(s, 0, s.length, generated, count - s.length, count)) {
                return true;
            }
        }
        return false;
    }

    private static long[] ids(Object value, String where) {
        if (value == null) {
            return new long[0];
        }
        List<?> list = value instanceof List<?> l ? l : List.of(value);
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
                throw new MoxieException(where + ": token ids must be integers, got " + list.get(i));
            }
            out[i] = n.longValue();
        }
        return out;
    }

    /** Typed access to request parameters, failing with {@link InvalidInputException}. */
    private record Params(Map<String, String> values) {
        boolean has(String key) {
            return values.get(key) != null;
        }

        String get(String key) {
            return values.get(key).trim();
        }

        int integer(String key, int fallback) {
            long v = whole(key, fallback);
            if (v != (int) v) {
                throw new InvalidInputException("parameter '" + key + "' is out of range: " + v);
            }
            return (int) v;
        }

        long whole(String key, long fallback) {
            if (!has(key)) {
                return fallback;
            }
            try {
                return Long.parseLong(get(key));
            } catch (NumberFormatException e) {
                throw new InvalidInputException("parameter '" + key + "' must be an integer, got '" + get(key) + "'");
            }
        }

        double number(String key, double fallback) {
            if (!has(key)) {
                return fallback;
            }
            try {
                return Double.parseDouble(get(key));
            } catch (NumberFormatException e) {
                throw new InvalidInputException("parameter '" + key + "' must be a number, got '" + get(key) + "'");
            }
        }

        boolean bool(String key, boolean fallback) {
            if (!has(key)) {
                return fallback;
            }
            String v = get(key);
            if (!v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
                throw new InvalidInputException("parameter '" + key + "' must be true or false, got '" + v + "'");
            }
            return Boolean.parseBoolean(v);
        }

        long[] idList(String key, String text) {
            String[] parts = text.split(",");
            long[] out = new long[parts.length];
            for (int i = 0; i < parts.length; i++) {
                try {
                    out[i] = Long.parseLong(parts[i].trim());
                } catch (NumberFormatException e) {
                    throw new InvalidInputException("parameter '" + key + "' must hold comma-separated token ids, "
                            + "got '" + text + "'");
                }
            }
            return out;
        }
    }
}
