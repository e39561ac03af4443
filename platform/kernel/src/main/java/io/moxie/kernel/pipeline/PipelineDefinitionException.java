package io.moxie.kernel.pipeline;

import io.moxie.api.MoxieException;

/** A pipeline definition is invalid; the message names the pipeline, the stage and the problem. */
public class PipelineDefinitionException extends MoxieException {
    private static final long serialVersionUID = 1L;

    public PipelineDefinitionException(String message) {
        super(message);
    }
}
