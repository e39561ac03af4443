package io.moxie.kernel.pipeline;

import java.util.List;

/**
 * What a compiled pipeline version is made of: its number and, per stage, the implementations it runs.
 *
 * @param pipeline the pipeline's name
 * @param version the version number, increasing with every successful build of the pipeline
 * @param stages per stage, in execution order
 * @param warmUpMillis how long the warm-up forward pass took
 * @param outputs the pipeline outputs with the dtype and shape their stages declare ({@code -1}: varies per request;
 *                wildcard outputs expanded against what the stages declare)
 */
public record VersionInfo(String pipeline, int version, List<StageInfo> stages, long warmUpMillis,
                          List<io.moxie.api.TensorSpec> outputs) {

    /**
     * The implementations one stage of a version runs.
     *
     * @param name the stage's name
     * @param kind its kind, with the provider that built it
     * @param router the router implementation and provider, or null when the stage has no MoE layer
     * @param experts the expert bank implementation and provider, or null
     * @param routerImplementation the name of the router implementation {@code router} describes, or null
     * @param expertsImplementation the name of the expert bank implementation {@code experts} describes, or null
     */
    public record StageInfo(String name, String kind, String router, String experts, String routerImplementation,
                            String expertsImplementation) {
    }

    /** Returns the stage called {@code name}. */
    public StageInfo stage(String name) {
        return stages.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }
}
