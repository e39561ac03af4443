package io.moxie.kernel;

import io.moxie.api.MoxieException;
import io.moxie.kernel.pipeline.PipelineDefinition;
import io.moxie.kernel.pipeline.PipelineYaml;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The default pipeline of each {@code model_type}: pipeline templates in {@code conf/model-types/*.yaml}, each naming
 * the model type it serves and using {@code ${pipeline}} and {@code ${model}} for the model's name and directory.
 * This is what lets any model directory be served, or run with {@code moxie infer --local}, without writing a
 * pipeline for it.
 */
final class ModelTypes {
    private final Map<String, String> templates = new TreeMap<>();
    private final PipelineYaml yaml = new PipelineYaml();

    ModelTypes(Path dir) {
        if (dir == null || !Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList()) {
                String text = Files.readString(f);
                Object root = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
                if (root instanceof Map<?, ?> m && m.get("model_type") != null) {
                    templates.put(String.valueOf(m.get("model_type")), text);
                }
            }
        } catch (IOException | RuntimeException e) {
            throw new MoxieException("cannot read model-type pipelines in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Returns the model types that have a default pipeline. */
    java.util.Set<String> types() {
        return templates.keySet();
    }

    /**
     * Returns the default pipeline for a model.
     *
     * @throws MoxieException if the model type has no default pipeline
     */
    PipelineDefinition forModel(String pipelineName, String modelType, Path modelDir) {
        String template = templates.get(modelType);
        if (template == null) {
            throw new MoxieException("model '" + pipelineName + "': no default pipeline for model_type '" + modelType
                    + "' (known: " + templates.keySet() + "); write a pipeline definition for it");
        }
        Map<String, String> subs = new LinkedHashMap<>();
        subs.put("pipeline", pipelineName);
        subs.put("model", modelDir.toAbsolutePath().toString());
        return yaml.parse(template, "default pipeline of model_type '" + modelType + "'", subs);
    }
}
