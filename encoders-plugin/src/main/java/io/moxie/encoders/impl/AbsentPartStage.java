package io.moxie.encoders.impl;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.moxie.api.InvalidInputException;
import io.moxie.api.RequestContext;
import io.moxie.api.Stage;
import io.moxie.api.TensorSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a stage becomes when its model lacks the part it would run ({@link StageSettings}: the section it reads is
 * missing, e.g. the image branch of a chat pipeline on a model without a vision tower). It declares the real stage's
 * ports so the pipeline still wires, writes nothing for requests that do not use the part (or passes named inputs
 * through unchanged), and refuses requests that do with a message naming the input and what is missing. Stateless.
 */
public final class AbsentPartStage implements Stage {
    private final List<TensorSpec> inputs;
    private final List<TensorSpec> outputs;
    private final Map<String, String> passThrough;
    private final String reason;

    /**
     * @param inputs the real stage's inputs; any of them given, unless passed through, is refused
     * @param outputs the real stage's outputs
     * @param passThrough input port to output port, for inputs that bypass the missing part
     * @param reason what is missing, e.g. {@code model 'm' has no 'vision_config' in its config.json}
     */
    public AbsentPartStage(List<TensorSpec> inputs, List<TensorSpec> outputs, Map<String, String> passThrough,
                           String reason) {
        this.inputs = List.copyOf(inputs);
        this.outputs = List.copyOf(outputs);
        this.passThrough = Map.copyOf(passThrough);
        this.reason = reason;
    }

    @Override
    public List<TensorSpec> inputs() {
        return inputs;
    }

    @Override
    public List<TensorSpec> outputs() {
        return outputs;
    }

    @Override
    public Map<String, NDArray> run(Map<String, NDArray> given, RequestContext request) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : given.entrySet()) {
            String target = passThrough.get(e.getKey());
            if (target == null) {
                throw new InvalidInputException("input '" + e.getKey() + "' cannot be used: " + reason);
            }
            out.put(target, e.getValue());
        }
        return out;
    }

    /** Nothing: warming up a part that does not exist would only fail. */
    @Override
    public Map<String, NDArray> warmUpInputs(NDManager manager) {
        return Map.of();
    }
}
