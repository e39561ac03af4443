package io.moxie.kernel.pipeline;

import io.moxie.api.MoxieException;

/** No pipeline of that name is deployed (gRPC {@code NOT_FOUND}). */
public class UnknownPipelineException extends MoxieException {
    private static final long serialVersionUID = 1L;

    public UnknownPipelineException(String message) {
        super(message);
    }
}
