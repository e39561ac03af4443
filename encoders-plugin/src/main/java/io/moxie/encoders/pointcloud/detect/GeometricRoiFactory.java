package io.moxie.encoders.pointcloud.detect;

import io.moxie.api.ComponentContext;
import io.moxie.api.Stage;
import io.moxie.api.StageFactory;
import org.osgi.service.component.annotations.Component;

/**
 * Builds {@code geometric-roi} stages: an RoI extractor (points [+ boxes] to boxes) by ground-plane removal and
 * Euclidean clustering, with the {@link GeometricRoiOptions} of the stage's configuration. A learned detector plugs
 * in at the same place as another stage kind with the same ports (see docs/plugins/roi-extractors.md).
 */
@Component(service = StageFactory.class)
public final class GeometricRoiFactory implements StageFactory {

    /** The kind pipeline definitions use. */
    public static final String KIND = "geometric-roi";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Stage create(ComponentContext context) {
        return new GeometricRoiStage(GeometricRoiOptions.from(context.config()));
    }
}
