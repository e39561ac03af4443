package io.moxie.encoders.s2;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ComponentContext;
import io.moxie.api.Config;
import io.moxie.api.Stage;
import io.moxie.api.StageFactory;
import org.osgi.service.component.annotations.Component;

/**
 * Builds {@code s2-split} stages: every image at every S² scale, cut into tower-sized crops, so the tower runs all
 * crops of all scales in one batch.
 *
 * <p>Ports: input {@code pixel_values} float32 {@code [B, C, S, S]}; output {@code crops} float32
 * {@code [B·Σs², C, S, S]}: scale 1 as is, each further scale {@code s} upscaled to {@code s·S} exactly like PyTorch's
 * {@code F.interpolate(mode='bicubic', align_corners=False)} and split into {@code s×s} crops, crop-major. Settings:
 * {@code s2_scales} ({@code [1]}), {@code image_size}, {@code num_channels} (3). The interpolation matrices are built
 * once, into the component's manager.
 */
@Component(service = StageFactory.class)
public final class S2SplitStageFactory implements StageFactory {

    /** The kind pipeline definitions use: {@code kind: s2-split}. */
    public static final String KIND = "s2-split";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Stage create(ComponentContext context) {
        Config config = context.config();
        Scales scales = Scales.of(config);
        int size = config.getInt("image_size");
        NDArray[] upsampling = new NDArray[scales.count()];
        for (int i = 1; i < scales.count(); i++) {
            int out = scales.get(i) * size;
            upsampling[i] = context.manager().create(BicubicUpsampling.matrix(size, out), new Shape(out, size));
        }
        return new S2SplitStage(context.name(), scales, size, config.getInt("num_channels", 3), upsampling);
    }
}
