package io.moxie.api;

/**
 * A model directory or checkpoint cannot be used: a missing or malformed file, a missing key, a tensor of the wrong
 * shape or an unsupported dtype. Raised at load time, before the component serves anything.
 */
public class ModelFormatException extends MoxieException {
    private static final long serialVersionUID = 1L;

    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
