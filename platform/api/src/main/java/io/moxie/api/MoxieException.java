package io.moxie.api;

/**
 * Base class of the errors Moxie reports to a caller. The message is meant for a user: it names the stage, key,
 * input or setting at fault and says what was expected.
 */
public class MoxieException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MoxieException(String message) {
        super(message);
    }

    public MoxieException(String message, Throwable cause) {
        super(message, cause);
    }
}
