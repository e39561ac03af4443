package io.moxie.encoders;

import io.moxie.kernel.pipeline.PipelineDefinition;
import io.moxie.kernel.pipeline.PipelineYaml;
import io.moxie.kernel.pipeline.StageDefinition;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The shipped default pipeline of model type {@code cumo-vision}, for one model and one expert bank. */
final class CumoVisionPipeline {
    /** The template as the distribution ships it (tests run with the module directory as working directory). */
    static final Path TEMPLATE = Path.of("../dist/src/main/dist/conf/model-types/cumo-vision.yaml");

    private CumoVisionPipeline() {
    }

    /**
     * @param pipeline the pipeline's name
     * @param model the model directory
     * @param experts the expert bank of every MoE stage
     */
    static PipelineDefinition forModel(String pipeline, Path model, String experts) {
        String text;
        try {
            text = Files.readString(TEMPLATE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        PipelineDefinition template = new PipelineYaml().parse(text, TEMPLATE.toString(),
                Map.of("pipeline", pipeline, "model", model.toAbsolutePath().toString()));
        List<StageDefinition> stages = new ArrayList<>();
        for (StageDefinition s : template.stages()) {
            stages.add(s.experts().isEmpty() ? s : s.withExperts(experts));
        }
        return new PipelineDefinition(template.name(), template.description(), template.inputs(), stages,
                template.outputs(), template.yaml(), template.batching());
    }
}
