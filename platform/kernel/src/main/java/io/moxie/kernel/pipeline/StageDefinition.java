package io.moxie.kernel.pipeline;

import io.moxie.kernel.registry.ComponentKind;
import java.util.List;
import java.util.Map;

/**
 * One stage of a pipeline definition.
 *
 * @param name the stage's name, unique in its pipeline
 * @param kind the stage kind (a {@code StageFactory} kind, e.g. {@code mlp-moe-connector})
 * @param model the model whose weights the stage reads (a model repository name or a directory)
 * @param router the router implementations for the stage's MoE layers in order of preference (usually one), empty
 *               when the stage has none; the compiler picks the first usable one ({@link ImplementationChoice})
 * @param experts the expert bank implementations in order of preference, e.g. {@code [grouped-mlp-blas,
 *                grouped-mlp]}, or empty
 * @param inputs port name to source: a pipeline input name, or {@code stage.port} of an earlier stage
 * @param config stage settings laid over the model's {@code config.json}
 */
public record StageDefinition(String name, String kind, String model, List<String> router, List<String> experts,
                              Map<String, String> inputs, Map<String, Object> config) {
    public StageDefinition {
        router = router == null ? List.of() : List.copyOf(router);
        experts = experts == null ? List.of() : List.copyOf(experts);
        inputs = Map.copyOf(inputs);
        config = Map.copyOf(config);
    }

    /**
     * Returns the stage's list for a router or expert bank ({@link #router} or {@link #experts}).
     *
     * @throws IllegalArgumentException for {@link ComponentKind#STAGE}: a stage names its own kind, not a list
     */
    public List<String> implementations(ComponentKind kind) {
        return switch (kind) {
            case ROUTER -> router;
            case EXPERTS -> experts;
            case STAGE -> throw new IllegalArgumentException("a stage lists no " + kind.label() + " implementations");
        };
    }

    /** Returns a copy that uses exactly this router implementation (a swap names one, replacing any list). */
    public StageDefinition withRouter(String newRouter) {
        return new StageDefinition(name, kind, model, List.of(newRouter), experts, inputs, config);
    }

    /** Returns a copy that uses exactly this expert bank implementation, replacing any list. */
    public StageDefinition withExperts(String newExperts) {
        return new StageDefinition(name, kind, model, router, List.of(newExperts), inputs, config);
    }
}
