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
 * The context an expert bank holding one device's share of a spread layer is built in: the stage's name and
 * settings, the share's experts, and a memory scope on that device (under the stage's, closed with it).
 */
final class ShardContext implements ComponentContext {
    private final ComponentContext stage;
    private final ParameterStore parameters;
    private final NDManager manager;
    private final Device device;

    ShardContext(ComponentContext stage, ParameterStore parameters, NDManager manager, Device device) {
        this.stage = stage;
        this.parameters = parameters;
        this.manager = manager;
        this.device = device;
    }

    @Override
    public String name() {
        return stage.name();
    }

    @Override
    public Config config() {
        return stage.config();
    }

    @Override
    public ParameterStore parameters() {
        return parameters;
    }

    @Override
    public Path modelDirectory() {
        return stage.modelDirectory();
    }

    @Override
    public NDManager manager() {
        return manager;
    }

    @Override
    public Device device() {
        return device;
    }

    @Override
    public MoeLayer moeLayer(MoeSpec spec) {
        throw new MoxieException("stage '" + stage.name() + "': an expert bank cannot build MoE layers");
    }
}
