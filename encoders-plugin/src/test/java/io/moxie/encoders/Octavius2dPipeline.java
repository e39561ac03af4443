package io.moxie.encoders;

import io.moxie.kernel.pipeline.PipelineDefinition;
import io.moxie.kernel.pipeline.PipelineYaml;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/** The shipped default pipeline of model type {@code octavius-2d}, for one model directory. */
final class Octavius2dPipeline {
    /** The template as the distribution ships it (tests run with the module directory as working directory). */
    static final Path TEMPLATE = Path.of("../dist/src/main/dist/conf/model-types/octavius-2d.yaml");

    private Octavius2dPipeline() {
    }

    static PipelineDefinition forModel(String pipeline, Path model) {
        try {
            return new PipelineYaml().parse(Files.readString(TEMPLATE), TEMPLATE.toString(),
                    Map.of("pipeline", pipeline, "model", model.toAbsolutePath().toString()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
