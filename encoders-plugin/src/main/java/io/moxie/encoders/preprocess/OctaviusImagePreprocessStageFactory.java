package io.moxie.encoders.preprocess;

import io.moxie.api.ComponentContext;
import io.moxie.api.Config;
import io.moxie.api.MoxieException;
import io.moxie.api.Stage;
import io.moxie.api.StageFactory;
import io.moxie.encoders.image.OctaviusImagePreprocessor;
import org.osgi.service.component.annotations.Component;

/**
 * Stage kind {@code octavius-image-preprocess}: Octavius' image preprocessing (Pillow-exact bicubic resize straight
 * to {@code image_size} squared, aspect ratio not kept, {@code /255}, normalise). Settings from the model's
 * {@code config.json}: {@code image_size}, {@code image_mean}, {@code image_std}.
 */
@Component(service = StageFactory.class)
public final class OctaviusImagePreprocessStageFactory implements StageFactory {

    /** The stage kind. */
    public static final String KIND = "octavius-image-preprocess";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Stage create(ComponentContext context) {
        Config c = context.config();
        int size = c.getInt("image_size");
        OctaviusImagePreprocessor.Options defaults = OctaviusImagePreprocessor.Options.clip(size);
        try {
            OctaviusImagePreprocessor preprocessor = new OctaviusImagePreprocessor(new OctaviusImagePreprocessor.Options(
                    size, c.getDoubleArray("image_mean", defaults.imageMean()),
                    c.getDoubleArray("image_std", defaults.imageStd())));
            return new ImageStage(size, preprocessor::preprocess);
        } catch (IllegalArgumentException e) {
            throw new MoxieException(c.source() + ": " + e.getMessage(), e);
        }
    }
}
