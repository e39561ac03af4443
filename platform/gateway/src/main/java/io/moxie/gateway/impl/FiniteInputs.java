package io.moxie.gateway.impl;

import io.moxie.kernel.pipeline.PipelineDefinition;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Which inputs of a pipeline are declared {@code finite: true} ({@code inputs: - {name: x, dtype: float32,
 * finite: true}}): the gateway rejects NaN or infinite values in them with {@code INVALID_ARGUMENT}.
 *
 * <p>The kernel's {@code InputDefinition} does not carry the flag yet, so it is read from the definition's YAML
 * text, once per definition. When the kernel grows the field, this class reads it instead.
 */
public final class FiniteInputs {
    // keyed by the definition's text: String caches its hash, a record would hash every field on every request
    private final Map<String, Set<String>> cache = new ConcurrentHashMap<>();

    /** Returns the names of the inputs declared finite. */
    public Set<String> of(PipelineDefinition definition) {
        if (definition == null || definition.yaml() == null) {
            return Set.of();
        }
        if (cache.size() > 1024) {
            cache.clear(); // old definitions of swapped pipelines; cheap to recompute
        }
        return cache.computeIfAbsent(definition.yaml(), FiniteInputs::parse);
    }

    private static Set<String> parse(String text) {
        Object root;
        try {
            // placeholders of model-type templates (${model}) are harmless here: only names and flags are read
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
        } catch (YAMLException e) {
            return Set.of();
        }
        Set<String> out = new HashSet<>();
        if (root instanceof Map<?, ?> top && top.get("inputs") instanceof List<?> inputs) {
            for (Object o : inputs) {
                if (o instanceof Map<?, ?> m && Boolean.TRUE.equals(m.get("finite")) && m.get("name") != null) {
                    out.add(String.valueOf(m.get("name")));
                }
            }
        }
        return Set.copyOf(out);
    }
}
