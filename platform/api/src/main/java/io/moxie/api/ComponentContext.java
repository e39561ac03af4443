package io.moxie.api;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;

/**
 * What the kernel gives a component when it builds one: its configuration, its model's weights, the memory scope
 * that owns everything it allocates, its device, and the MoE wiring chosen by the pipeline.
 *
 * <p>Components allocate long-lived arrays (weights, caches) only through {@link #manager()}. The kernel closes that
 * manager when the compiled pipeline version the component belongs to has drained, which frees everything the
 * component allocated even if its bundle is gone by then. A component must not open base managers of its own.
 */
public interface ComponentContext {

    /** Returns the component's name in its pipeline (the stage name), for messages and metrics. */
    String name();

    /** Returns the component's configuration: the model's {@code config.json} overlaid with the stage's settings. */
    Config config();

    /** Returns the weights of the component's model. */
    ParameterStore parameters();

    /**
     * Returns the directory of the component's model (where files beside the weights live, such as
     * {@code tokenizer.json}), or null when the stage names no model.
     */
    default java.nio.file.Path modelDirectory() {
        return null;
    }

    /** Returns the manager that owns the component's memory; closed by the kernel, never by the component. */
    NDManager manager();

    /** Returns the device the component runs on. */
    Device device();

    /**
     * Builds a MoE layer with the router and expert bank the pipeline definition chose for this stage. The layer's
     * weights are loaded into this component's memory scope.
     *
     * @throws ModelFormatException if a weight the spec names is missing or mis-shaped
     * @throws MoxieException if the chosen router or expert bank is not installed
     */
    MoeLayer moeLayer(MoeSpec spec);
}
