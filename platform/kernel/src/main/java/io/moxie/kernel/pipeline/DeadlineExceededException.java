package io.moxie.kernel.pipeline;

import io.moxie.api.RequestCancelledException;

/** A request's deadline passed before it finished; its work was abandoned and its memory freed (gRPC {@code DEADLINE_EXCEEDED}). */
public class DeadlineExceededException extends RequestCancelledException {
    private static final long serialVersionUID = 1L;

    public DeadlineExceededException(String message) {
        super(message);
    }
}
