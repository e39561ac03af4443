package io.moxie.kernel.pipeline;

import io.moxie.kernel.tensor.HostTensor;
import java.util.Map;

/**
 * One request to a pipeline.
 *
 * @param inputs the request inputs by name
 * @param parameters free-form parameters passed through to the stages
 * @param traceRouting whether to return which experts each MoE layer chose
 */
public record InferenceRequest(Map<String, HostTensor> inputs, Map<String, String> parameters, boolean traceRouting) {
    public InferenceRequest {
        inputs = Map.copyOf(inputs);
        parameters = Map.copyOf(parameters);
    }

    /** A request with inputs only. */
    public static InferenceRequest of(Map<String, HostTensor> inputs) {
        return new InferenceRequest(inputs, Map.of(), false);
    }
}
