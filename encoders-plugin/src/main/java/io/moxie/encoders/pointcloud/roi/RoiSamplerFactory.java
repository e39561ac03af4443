package io.moxie.encoders.pointcloud.roi;

import io.moxie.api.ComponentContext;
import io.moxie.api.Stage;
import io.moxie.api.StageFactory;
import io.moxie.encoders.pointcloud.Octavius3dConfig;
import org.osgi.service.component.annotations.Component;

/**
 * Builds {@code roi-sampler} stages: crop each box, sample {@code num_points} points, normalise (README-octavius §2).
 * Reads {@code num_points} from the configuration; no weights.
 */
@Component(service = StageFactory.class)
public final class RoiSamplerFactory implements StageFactory {

    /** The kind pipeline definitions use. */
    public static final String KIND = "roi-sampler";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Stage create(ComponentContext context) {
        return new RoiSamplerStage(Octavius3dConfig.from(context.config()).numPoints());
    }
}
