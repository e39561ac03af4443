package io.moxie.api;

/**
 * The request was abandoned: its caller cancelled it or its deadline passed. Long-running stages (a decoder's
 * generation loop) throw it when {@link RequestContext#isCancelled()} turns true; the gateway answers
 * {@code CANCELLED} or {@code DEADLINE_EXCEEDED}, and the request's memory is freed.
 */
public class RequestCancelledException extends MoxieException {
    private static final long serialVersionUID = 1L;

    public RequestCancelledException(String message) {
        super(message);
    }
}
