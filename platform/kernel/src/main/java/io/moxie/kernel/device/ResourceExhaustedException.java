package io.moxie.kernel.device;

import io.moxie.api.MoxieException;

/**
 * A load does not fit on its device, or a queue is full: refused before anything is allocated (gRPC
 * {@code RESOURCE_EXHAUSTED}). The message names the device, the bytes asked for and the bytes free.
 */
public class ResourceExhaustedException extends MoxieException {
    private static final long serialVersionUID = 1L;

    public ResourceExhaustedException(String message) {
        super(message);
    }
}
