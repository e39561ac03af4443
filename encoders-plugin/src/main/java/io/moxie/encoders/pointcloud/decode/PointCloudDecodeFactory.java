package io.moxie.encoders.pointcloud.decode;

import io.moxie.api.ComponentContext;
import io.moxie.api.Stage;
import io.moxie.api.StageFactory;
import org.osgi.service.component.annotations.Component;

/** Builds {@code point-cloud-decode} stages ({@link PointCloudDecodeStage}); no weights, no settings. */
@Component(service = StageFactory.class)
public final class PointCloudDecodeFactory implements StageFactory {

    /** The kind pipeline definitions use. */
    public static final String KIND = "point-cloud-decode";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Stage create(ComponentContext context) {
        return new PointCloudDecodeStage();
    }
}
