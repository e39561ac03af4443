package io.moxie.api;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One node of a pipeline: named tensors in, named tensors out. Examples: the CLIP-MoE vision tower, the S²
 * wrapper, the MLP-MoE connector, image preprocessing, the Object-As-Scene encoder, the LLM decoder.
 *
 * <p>A stage is built once per compiled pipeline version by its {@link StageFactory} and then called concurrently
 * by many requests: {@link #run} must be thread-safe and keep per-request state in the {@link RequestContext}.
 */
public interface Stage extends AutoCloseable {

    /** Returns the inputs the stage reads, by its own port names ({@code -1} for variable dimensions). */
    List<TensorSpec> inputs();

    /** Returns the outputs the stage writes, by its own port names. */
    List<TensorSpec> outputs();

    /**
     * Returns the outputs given what is known of the inputs when the pipeline is compiled: a stage whose outputs
     * follow its inputs (a pass-through, a cast) can say so, and the pipeline's metadata then shows real dtypes and
     * shapes. Default: {@link #outputs()}.
     *
     * @param inputs the specs of the inputs wired to this stage, by port name (absent when unknown)
     */
    default List<TensorSpec> outputs(Map<String, TensorSpec> inputs) {
        return outputs();
    }

    /**
     * Runs the stage for one request.
     *
     * @param inputs the inputs by port name, shapes and dtypes already checked against {@link #inputs()}
     * @param request the request; every array returned must be attached to its manager
     * @return the outputs by port name; optional outputs may be absent
     * @throws InvalidInputException when the request's data is unusable
     */
    Map<String, NDArray> run(Map<String, NDArray> inputs, RequestContext request);

    /**
     * Returns inputs for the warm-up pass the kernel runs before publishing a new pipeline version. The default
     * gives zeros of each input's spec with variable dimensions set to 1 (a one-element float32 vector for a spec
     * that accepts anything); stages whose inputs cannot be zeros (encoded images) override it.
     */
    default Map<String, NDArray> warmUpInputs(NDManager manager) {
        Map<String, NDArray> out = new HashMap<>();
        for (TensorSpec spec : inputs()) {
            long[] shape = spec.shape() == null ? new long[] {1} : spec.shape();
            for (int i = 0; i < shape.length; i++) {
                shape[i] = shape[i] < 0 ? 1 : shape[i];
            }
            DataType type = spec.dataType() == DataType.UNKNOWN ? DataType.FLOAT32 : spec.dataType();
            out.put(spec.name(), manager.zeros(new ai.djl.ndarray.types.Shape(shape), type));
        }
        return out;
    }

    /** Releases resources that are not NDArrays of the component's manager (threads, files). Default: nothing. */
    @Override
    default void close() {
    }
}
