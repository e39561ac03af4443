package io.moxie.encoders.pointcloud.scene;

import io.moxie.api.ComponentContext;
import io.moxie.api.Stage;
import io.moxie.api.StageFactory;
import io.moxie.encoders.pointcloud.Octavius3dConfig;
import io.moxie.encoders.pointcloud.WeightLoader;
import org.osgi.service.component.annotations.Component;

/**
 * Builds {@code scene-aggregator} stages: Octavius's {@code pos_3d_proj}, {@code Resampler3D} and
 * {@code llama_proj_3d} (README-octavius §4) with the checkpoint keys of §6, loaded and shape-checked here.
 */
@Component(service = StageFactory.class)
public final class SceneAggregatorFactory implements StageFactory {

    /** The kind pipeline definitions use. */
    public static final String KIND = "scene-aggregator";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Stage create(ComponentContext context) {
        Octavius3dConfig config = Octavius3dConfig.from(context.config());
        return new SceneAggregatorStage(config, SceneWeights.load(new WeightLoader(context), config));
    }
}
