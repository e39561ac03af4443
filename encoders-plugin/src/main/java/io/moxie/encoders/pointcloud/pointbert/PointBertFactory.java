package io.moxie.encoders.pointcloud.pointbert;

import io.moxie.api.ComponentContext;
import io.moxie.api.MoxieException;
import io.moxie.api.Stage;
import io.moxie.api.StageFactory;
import io.moxie.encoders.pointcloud.Octavius3dConfig;
import io.moxie.encoders.pointcloud.WeightLoader;
import org.osgi.service.component.annotations.Component;

/**
 * Builds {@code point-bert} stages: the ULIP Point-BERT object encoder of README-octavius §3 with the checkpoint keys
 * of §6 ({@code point_encoder.*}, and {@code pc_projection} when the configuration applies it). Widths come from the
 * model configuration; every tensor is loaded and shape-checked here, so a bad checkpoint fails the build. Stage
 * setting {@code point_bert_batch} (default 4) caps how many objects one batched forward pass holds: at the authors'
 * size the attention scores of 4 objects (6 heads x 513 x 513 each, 25 MB) stay under glibc's largest mmap threshold
 * (32 MB), so their memory is reused between blocks instead of being mapped and page-faulted afresh each time.
 */
@Component(service = StageFactory.class)
public final class PointBertFactory implements StageFactory {

    /** The kind pipeline definitions use. */
    public static final String KIND = "point-bert";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Stage create(ComponentContext context) {
        Octavius3dConfig config = Octavius3dConfig.from(context.config());
        int batch = context.config().getInt("point_bert_batch", 4);
        if (batch < 1) {
            throw new MoxieException(context.config().source() + ": setting 'point_bert_batch' must be at least 1, got "
                    + batch);
        }
        WeightLoader weights = new WeightLoader(context);
        return new PointBertStage(config, batch, MiniPointNetWeights.load(weights, config),
                TransformerWeights.load(weights, config));
    }
}
