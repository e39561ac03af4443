package io.moxie.api;

/**
 * A request's input is unusable (wrong shape, dtype, value, or missing): the caller's fault, never the server's.
 * The gateway maps it to {@code INVALID_ARGUMENT}, the CLI to exit code 2.
 */
public class InvalidInputException extends MoxieException {
    private static final long serialVersionUID = 1L;

    public InvalidInputException(String message) {
        super(message);
    }
}
