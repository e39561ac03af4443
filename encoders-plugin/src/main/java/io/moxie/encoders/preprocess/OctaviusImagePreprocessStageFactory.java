package io.moxie.encoders.preprocess;

import io.moxie.api.ComponentContext;
import io.moxie.api.Config;
import io.moxie.api.MoxieException;
import io.moxie.api.Stage;
import io.moxie.api.StageFactory;
import io.moxie.encoders.image.OctaviusImagePreprocessor;
import io.moxie.encoders.impl.AbsentPartStage;
import io.moxie.encoders.impl.StageSettings;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Component;

/**
 * Stage kind {@code octavius-image-preprocess}: Octavius' image preprocessing (Pillow-exact bicubic resize straight
 * to {@code image_size} squared, aspect ratio not kept, {@code /255}, normalise). Settings from the model's
 * {@code config.json}: {@code image_size}, {@code image_mean}, {@code image_std}; stage settings
 * {@code config_section} ({@link StageSettings}; without that section in the model, images are refused) and
 * {@code input_optional} (false): serve a request with neither {@code image} nor {@code pixel_values} with no outputs.
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
        Optional<Config> settings = StageSettings.resolve(context.config());
        if (settings.isEmpty()) {
            return new AbsentPartStage(ImageStage.inputs(-1), ImageStage.outputs(-1), Map.of(),
                    StageSettings.missing(context.config(), context.parameters().modelName()));
        }
        Config c = settings.get();
        int size = c.getInt("image_size");
        OctaviusImagePreprocessor.Options defaults = OctaviusImagePreprocessor.Options.clip(size);
        try {
            OctaviusImagePreprocessor preprocessor = new OctaviusImagePreprocessor(new OctaviusImagePreprocessor.Options(
                    size, c.getDoubleArray("image_mean", defaults.imageMean()),
                    c.getDoubleArray("image_std", defaults.imageStd())));
            return new ImageStage(size, preprocessor::preprocess, c.getBoolean("input_optional", false));
        } catch (IllegalArgumentException e) {
            throw new MoxieException(c.source() + ": " + e.getMessage(), e);
        }
    }
}
