package io.moxie.kernel.pipeline;

import java.util.Map;

/**
 * One stage of a pipeline definition.
 *
 * @param name the stage's name, unique in its pipeline
 * @param kind the stage kind (a {@code StageFactory} kind, e.g. {@code mlp-moe-connector})
 * @param model the model whose weights the stage reads (a model repository name or a directory)
 * @param router the router implementation for the stage's MoE layers, or null when the stage has none
 * @param experts the expert bank implementation for the stage's MoE layers, or null
 * @param inputs port name to source: a pipeline input name, or {@code stage.port} of an earlier stage
 * @param config stage settings laid over the model's {@code config.json}
 */
public record StageDefinition(String name, String kind, String model, String router, String experts,
                              Map<String, String> inputs, Map<String, Object> config) {
    public StageDefinition {
        inputs = Map.copyOf(inputs);
        config = Map.copyOf(config);
    }

    /** Returns a copy with another router implementation. */
    public StageDefinition withRouter(String newRouter) {
        return new StageDefinition(name, kind, model, newRouter, experts, inputs, config);
    }

    /** Returns a copy with another expert bank implementation. */
    public StageDefinition withExperts(String newExperts) {
        return new StageDefinition(name, kind, model, router, newExperts, inputs, config);
    }
}
