package io.moxie.kernel.model;

import io.moxie.api.Config;
import io.moxie.api.ParameterStore;
import java.nio.file.Path;

/**
 * A model directory opened from the repository: its {@code config.json} and its weights. Owned by the
 * {@link ModelRepository} that opened it, which closes it (unmapping the checkpoint files).
 */
public interface Model extends AutoCloseable {

    /** Returns the model's name (its directory name). */
    String name();

    /** Returns the model's directory. */
    Path directory();

    /** Returns {@code config.json}. */
    Config config();

    /** Returns the {@code model_type} of {@code config.json}, or an empty string. */
    default String modelType() {
        return config().getString("model_type", "");
    }

    /** Returns the model's weights. */
    ParameterStore parameters();

    /** Returns the total bytes of the checkpoint's tensors as stored. */
    long parameterBytes();

    @Override
    void close();
}
