package io.moxie.kernel.pipeline;

import io.moxie.api.RequestCancelledException;

/** The caller cancelled the request; its work was abandoned and its memory freed (gRPC {@code CANCELLED}). */
public class CancelledException extends RequestCancelledException {
    private static final long serialVersionUID = 1L;

    public CancelledException(String message) {
        super(message);
    }
}
