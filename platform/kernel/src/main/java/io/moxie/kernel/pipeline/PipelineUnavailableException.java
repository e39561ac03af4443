package io.moxie.kernel.pipeline;

import io.moxie.api.MoxieException;

/**
 * The pipeline exists but cannot serve now: it failed to build, or a component it needs was removed and nothing
 * replaces it (gRPC {@code UNAVAILABLE}). The message says why.
 */
public class PipelineUnavailableException extends MoxieException {
    private static final long serialVersionUID = 1L;

    public PipelineUnavailableException(String message) {
        super(message);
    }
}
