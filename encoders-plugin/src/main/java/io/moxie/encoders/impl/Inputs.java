package io.moxie.encoders.impl;

import ai.djl.ndarray.NDArray;
import io.moxie.api.InvalidInputException;
import java.util.Map;

/** Checks on the inputs a stage receives. */
public final class Inputs {
    private Inputs() {
    }

    /**
     * Returns input {@code port}.
     *
     * @throws InvalidInputException naming the stage and the port if the request did not provide it
     */
    public static NDArray require(Map<String, NDArray> inputs, String port, String stage) {
        NDArray a = inputs.get(port);
        if (a == null) {
            throw new InvalidInputException("stage '" + stage + "': input '" + port + "' is required");
        }
        return a;
    }
}
