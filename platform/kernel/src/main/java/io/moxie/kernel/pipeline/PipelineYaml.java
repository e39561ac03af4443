package io.moxie.kernel.pipeline;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Reads pipeline definitions from YAML. The format:
 *
 * <pre>
 * name: cumo-connector
 * description: visual features to LLM tokens
 * inputs:
 *   - {name: vision_features, dtype: float32, shape: [-1, -1, -1], finite: true}   # optional: true too
 * stages:
 *   - name: connector
 *     kind: mlp-moe-connector
 *     model: cumo-demo          # repository model name or a directory
 *     router: topk
 *     experts: [grouped-mlp-blas, grouped-mlp]   # or one name: experts: mlp
 *     inputs: {features: vision_features}
 *     config: {}                # laid over the model's config.json
 * outputs:
 *   projected: connector.projected
 * batching: {max_batch_size: 8, max_delay_ms: 2}   # optional: dynamic batching
 * </pre>
 *
 * {@code router} and {@code experts} take one implementation name, or a list in order of preference: the stage runs
 * the first one that is installed and supports its device ({@link ImplementationChoice}).
 *
 * <p>{@code ${name}} placeholders in the text are replaced from the substitutions given (the default pipelines of a
 * model type use {@code ${model}} and {@code ${pipeline}}). Stateless and thread-safe.
 */
public final class PipelineYaml {
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final Set<String> TOP_KEYS = Set.of("name", "description", "inputs", "stages", "outputs", "model_type", "batching");
    private static final Set<String> STAGE_KEYS = Set.of("name", "kind", "model", "router", "experts", "inputs", "config");

    /**
     * Parses a definition.
     *
     * @param text the YAML text
     * @param source where it comes from, for messages (a file name, "admin API")
     * @param substitutions values for {@code ${key}} placeholders
     * @throws PipelineDefinitionException naming the source, stage and problem
     */
    public PipelineDefinition parse(String text, String source, Map<String, String> substitutions) {
        String resolved = text;
        for (Map.Entry<String, String> e : substitutions.entrySet()) {
            resolved = resolved.replace("${" + e.getKey() + "}", e.getValue());
        }
        Object root;
        try {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(resolved);
        } catch (YAMLException e) {
            throw new PipelineDefinitionException(source + ": not valid YAML: " + firstLine(e.getMessage()));
        }
        if (!(root instanceof Map<?, ?> top)) {
            throw new PipelineDefinitionException(source + ": expected a YAML mapping with name, inputs, stages, outputs");
        }
        checkKeys(top, TOP_KEYS, source);
        String name = string(top, "name", source, true);
        if (!NAME.matcher(name).matches()) {
            throw new PipelineDefinitionException(source + ": pipeline name '" + name
                    + "' must be letters, digits, '.', '_' or '-' (at most 128)");
        }
        String where = "pipeline '" + name + "'";
        List<PipelineDefinition.InputDefinition> inputs = new ArrayList<>();
        for (Object o : list(top, "inputs", where)) {
            inputs.add(input(o, where));
        }
        List<StageDefinition> stages = new ArrayList<>();
        for (Object o : list(top, "stages", where)) {
            stages.add(stage(o, where));
        }
        Map<String, String> outputs = new LinkedHashMap<>();
        Object outs = top.get("outputs");
        if (!(outs instanceof Map<?, ?> outMap)) {
            throw new PipelineDefinitionException(where + ": 'outputs' must map output names to 'stage.port'");
        }
        outMap.forEach((k, v) -> outputs.put(String.valueOf(k), String.valueOf(v)));
        String description = top.get("description") == null ? "" : String.valueOf(top.get("description"));
        return new PipelineDefinition(name, description, inputs, stages, outputs, text, batching(top.get("batching"), where));
    }

    private static BatchingOptions batching(Object o, String where) {
        if (o == null) {
            return null;
        }
        if (!(o instanceof Map<?, ?> m)) {
            throw new PipelineDefinitionException(where + ": 'batching' must be a mapping {max_batch_size, max_delay_ms}");
        }
        checkKeys(m, Set.of("max_batch_size", "max_delay_ms"), where + ", batching");
        try {
            return new BatchingOptions(integer(m, "max_batch_size", 8, where), integer(m, "max_delay_ms", 2, where));
        } catch (IllegalArgumentException e) {
            throw new PipelineDefinitionException(where + ": " + e.getMessage());
        }
    }

    private static int integer(Map<?, ?> m, String key, int fallback, String where) {
        Object v = m.get(key);
        if (v == null) {
            return fallback;
        }
        if (!(v instanceof Integer i)) {
            throw new PipelineDefinitionException(where + ": batching." + key + " must be an integer, got " + v);
        }
        return i;
    }

    private static PipelineDefinition.InputDefinition input(Object o, String where) {
        if (!(o instanceof Map<?, ?> m)) {
            throw new PipelineDefinitionException(where + ": each input must be a mapping {name, dtype, shape}");
        }
        String name = string(m, "name", where + " input", true);
        String dtype = string(m, "dtype", where + ", input '" + name + "'", true);
        long[] shape = null;
        if (m.get("shape") != null) {
            if (!(m.get("shape") instanceof List<?> dims)) {
                throw new PipelineDefinitionException(where + ", input '" + name + "': shape must be a list");
            }
            shape = new long[dims.size()];
            for (int i = 0; i < shape.length; i++) {
                if (!(dims.get(i) instanceof Number n) || n.longValue() < -1) {
                    throw new PipelineDefinitionException(where + ", input '" + name + "': shape entries must be "
                            + "integers >= -1, got " + dims.get(i));
                }
                shape[i] = n.longValue();
            }
        }
        boolean optional = Boolean.TRUE.equals(m.get("optional"));
        boolean finite = Boolean.TRUE.equals(m.get("finite"));
        String encodedAs = m.get("encoded_as") == null ? null : String.valueOf(m.get("encoded_as"));
        return new PipelineDefinition.InputDefinition(name, dtype, shape, optional, finite, encodedAs);
    }

    private static StageDefinition stage(Object o, String where) {
        if (!(o instanceof Map<?, ?> m)) {
            throw new PipelineDefinitionException(where + ": each stage must be a mapping");
        }
        String name = string(m, "name", where + " stage", true);
        String at = where + ", stage '" + name + "'";
        checkKeys(m, STAGE_KEYS, at);
        String kind = string(m, "kind", at, true);
        String model = string(m, "model", at, false);
        List<String> router = implementations(m, "router", at);
        List<String> experts = implementations(m, "experts", at);
        Map<String, String> inputs = new LinkedHashMap<>();
        Object in = m.get("inputs");
        if (in != null) {
            if (!(in instanceof Map<?, ?> inMap)) {
                throw new PipelineDefinitionException(at + ": 'inputs' must map port names to sources");
            }
            inMap.forEach((k, v) -> inputs.put(String.valueOf(k), String.valueOf(v)));
        }
        Map<String, Object> config = new LinkedHashMap<>();
        Object cfg = m.get("config");
        if (cfg != null) {
            if (!(cfg instanceof Map<?, ?> cfgMap)) {
                throw new PipelineDefinitionException(at + ": 'config' must be a mapping");
            }
            cfgMap.forEach((k, v) -> config.put(String.valueOf(k), v));
        }
        return new StageDefinition(name, kind, model, router, experts, inputs, config);
    }

    /** One implementation name, or a list of them in order of preference; empty when the key is absent. */
    private static List<String> implementations(Map<?, ?> m, String key, String where) {
        Object v = m.get(key);
        if (v == null) {
            return List.of();
        }
        String expected = where + ": '" + key + "' must be an implementation name or a list of them in order of "
                + "preference (e.g. " + key + ": [grouped-mlp-blas, grouped-mlp])";
        if (!(v instanceof List<?> listed)) {
            if (v instanceof Map) {
                throw new PipelineDefinitionException(expected);
            }
            return List.of(String.valueOf(v));
        }
        if (listed.isEmpty()) {
            throw new PipelineDefinitionException(expected + ", got an empty list");
        }
        List<String> names = new ArrayList<>();
        for (Object entry : listed) {
            if (entry == null || entry instanceof Map || entry instanceof List) {
                throw new PipelineDefinitionException(expected + ", got " + listed);
            }
            String name = String.valueOf(entry);
            if (names.contains(name)) {
                throw new PipelineDefinitionException(where + ": '" + key + "' lists '" + name + "' twice");
            }
            names.add(name);
        }
        return List.copyOf(names);
    }

    private static void checkKeys(Map<?, ?> m, Set<String> allowed, String where) {
        for (Object k : m.keySet()) {
            if (!allowed.contains(String.valueOf(k))) {
                throw new PipelineDefinitionException(where + ": unknown field '" + k + "' (allowed: "
                        + allowed.stream().sorted().toList() + ")");
            }
        }
    }

    private static List<?> list(Map<?, ?> m, String key, String where) {
        Object v = m.get(key);
        if (v == null) {
            return List.of();
        }
        if (!(v instanceof List<?> l)) {
            throw new PipelineDefinitionException(where + ": '" + key + "' must be a list");
        }
        return l;
    }

    private static String string(Map<?, ?> m, String key, String where, boolean required) {
        Object v = m.get(key);
        if (v == null) {
            if (required) {
                throw new PipelineDefinitionException(where + ": '" + key + "' is required");
            }
            return null;
        }
        if (v instanceof Map || v instanceof List) {
            throw new PipelineDefinitionException(where + ": '" + key + "' must be a string");
        }
        return String.valueOf(v);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
