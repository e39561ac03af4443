package io.moxie.encoders.preprocess;

import io.moxie.api.ComponentContext;
import io.moxie.api.Config;
import io.moxie.api.MoxieException;
import io.moxie.api.Stage;
import io.moxie.api.StageFactory;
import io.moxie.encoders.image.ClipPreprocessor;
import org.osgi.service.component.annotations.Component;

/**
 * Stage kind {@code clip-preprocess}: CuMo's image preprocessing (pad to square with the mean colour, Pillow-exact
 * bicubic resize of the shortest edge, centre crop, normalise). Settings from the model's {@code config.json}:
 * {@code image_size}, {@code shortest_edge}, {@code crop_size}, {@code image_mean}, {@code image_std},
 * {@code rescale_factor}, {@code image_aspect_ratio}; stage setting {@code input_optional} (false): serve a request
 * with neither {@code image} nor {@code pixel_values} with no outputs.
 */
@Component(service = StageFactory.class)
public final class ClipPreprocessStageFactory implements StageFactory {

    /** The stage kind. */
    public static final String KIND = "clip-preprocess";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Stage create(ComponentContext context) {
        Config c = context.config();
        ClipPreprocessor.Options defaults = ClipPreprocessor.Options.cumo(c.getInt("image_size"));
        try {
            ClipPreprocessor.Options options = new ClipPreprocessor.Options(
                    c.getDoubleArray("image_mean", defaults.imageMean()),
                    c.getDoubleArray("image_std", defaults.imageStd()),
                    c.getInt("shortest_edge", defaults.shortestEdge()),
                    c.getInt("crop_size", defaults.cropSize()),
                    c.getDouble("rescale_factor", defaults.rescaleFactor()),
                    ClipPreprocessor.AspectRatio.fromConfig(c.getString("image_aspect_ratio", "pad")));
            ClipPreprocessor preprocessor = new ClipPreprocessor(options);
            return new ImageStage(options.cropSize(), preprocessor::preprocess, c.getBoolean("input_optional", false));
        } catch (IllegalArgumentException e) {
            throw new MoxieException(c.source() + ": " + e.getMessage(), e);
        }
    }
}
