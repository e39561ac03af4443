package io.moxie.kernel.pipeline;

/**
 * The state of one pipeline as the admin API shows it.
 *
 * @param name the pipeline's name
 * @param state {@code READY}, {@code LOADING}, {@code UNAVAILABLE} (no version can serve) or {@code FAILED}
 * @param version the version serving now, or null
 * @param lastError why the last build or swap failed, or null
 * @param definition the definition the pipeline was deployed with
 */
public record PipelineStatus(String name, State state, VersionInfo version, String lastError,
                             PipelineDefinition definition) {

    /** Pipeline states. */
    public enum State { LOADING, READY, UNAVAILABLE, FAILED }
}
