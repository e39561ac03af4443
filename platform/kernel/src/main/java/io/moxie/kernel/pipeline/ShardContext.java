package io.moxie.kernel.pipeline;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.moxie.api.ComponentContext;
import io.moxie.api.Config;
import io.moxie.api.MoeLayer;
import io.moxie.api.MoeSpec;
import io.moxie.api.MoxieException;
import io.moxie.api.ParameterStore;
import java.nio.file.Path;

/**
 * The context an expert bank holding one device's share of a spread layer is built in: the stage's name, settings
 * and model directory, the share's experts, and a memory scope on that device (under the stage's, closed with it).
 */
record ShardContext(String name, Config config, Path modelDirectory, ParameterStore parameters, NDManager manager,
                    Device device) implements ComponentContext {

    /** The context of a share of {@code stage}'s layer: {@code parameters} in {@code manager} on {@code device}. */
    static ShardContext of(ComponentContext stage, ParameterStore parameters, NDManager manager, Device device) {
        return new ShardContext(stage.name(), stage.config(), stage.modelDirectory(), parameters, manager, device);
    }

    @Override
    public MoeLayer moeLayer(MoeSpec spec) {
        throw new MoxieException("stage '" + name + "': an expert bank cannot build MoE layers");
    }
}
