package io.moxie.encoders.s2;

import io.moxie.api.ComponentContext;
import io.moxie.api.Config;
import io.moxie.api.MoxieException;
import io.moxie.api.Stage;
import io.moxie.api.StageFactory;
import org.osgi.service.component.annotations.Component;

/**
 * Builds {@code s2-merge} stages: the inverse of {@code s2-split} on the tower's features.
 *
 * <p>Ports: input {@code features} float32 {@code [B·Σs², G², D]} (tower rows in {@code s2-split}'s order, patch
 * tokens only); output {@code features} float32 {@code [B, G², D·len(s2_scales)]}: per scale {@code s > 1} the
 * {@code s²} crops are merged into an {@code sG × sG} grid and area-downsampled (the mean of each {@code s×s} block,
 * PyTorch's {@code mode='area'}) back to {@code G × G}; the scales are concatenated along channels in
 * {@code s2_scales} order. Settings: {@code s2_scales} ({@code [1]}), {@code image_size}, {@code patch_size},
 * {@code hidden_size} (optional, only to declare the output width). Holds no weights.
 */
@Component(service = StageFactory.class)
public final class S2MergeStageFactory implements StageFactory {

    /** The kind pipeline definitions use: {@code kind: s2-merge}. */
    public static final String KIND = "s2-merge";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Stage create(ComponentContext context) {
        Config config = context.config();
        int image = config.getInt("image_size");
        int patch = config.getInt("patch_size");
        if (patch < 1 || image % patch != 0) {
            throw new MoxieException(config.source() + ": image_size " + image + " is not a multiple of patch_size "
                    + patch);
        }
        return new S2MergeStage(context.name(), Scales.of(config), image / patch, config.getInt("hidden_size", -1));
    }
}
