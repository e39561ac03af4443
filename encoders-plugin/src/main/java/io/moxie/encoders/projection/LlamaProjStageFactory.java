package io.moxie.encoders.projection;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ComponentContext;
import io.moxie.api.Config;
import io.moxie.api.ModelFormatException;
import io.moxie.api.ParameterStore;
import io.moxie.api.Stage;
import io.moxie.api.StageFactory;
import io.moxie.encoders.impl.AbsentPartStage;
import io.moxie.encoders.impl.StageSettings;
import java.util.Map;
import java.util.Optional;
import org.osgi.service.component.annotations.Component;

/**
 * Builds {@code llama-proj} stages: Octavius' projection of image patch features into the LLM's width
 * (README-octavius2d §4), {@code image_tokens = features · Wᵀ + b} with {@code W = llama_proj.weight}
 * {@code [llm_hidden_size, hidden_size]} and {@code b = llama_proj.bias}.
 *
 * <p>Ports: input {@code features} float32 {@code [B, n, D]} and, optional, {@code vision_tokens} float32
 * {@code [Q, H]} (tokens a caller computed, passed through when no features come); outputs {@code image_tokens}
 * {@code [B, n, H]} and {@code vision_tokens} {@code [B·n, H]}, the rows a decoder splices in.
 *
 * <p>Settings: {@code hidden_size} ({@code D}) and {@code llm_hidden_size} ({@code H}), both checked against the
 * weight when present; {@code projection_key} ({@code llama_proj}), the checkpoint name of the linear;
 * {@code single_image} (false): refuse a batch of more than one image (an image chat splices one);
 * {@code config_section} ({@link StageSettings}; without that section in the model the stage only passes
 * {@code vision_tokens} through).
 */
@Component(service = StageFactory.class)
public final class LlamaProjStageFactory implements StageFactory {

    /** The kind pipeline definitions use: {@code kind: llama-proj}. */
    public static final String KIND = "llama-proj";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Stage create(ComponentContext context) {
        Optional<Config> settings = StageSettings.resolve(context.config());
        if (settings.isEmpty()) {
            return new AbsentPartStage(LlamaProjStage.inputs(-1, -1), LlamaProjStage.outputs(-1),
                    Map.of(LlamaProjStage.VISION_TOKENS, LlamaProjStage.VISION_TOKENS),
                    StageSettings.missing(context.config(), context.parameters().modelName()));
        }
        Config config = settings.get();
        ParameterStore params = context.parameters();
        String key = config.getString("projection_key", "llama_proj");
        Shape shape = params.shape(key + ".weight");
        if (shape.dimension() != 2) {
            throw new ModelFormatException("model '" + params.modelName() + "': tensor '" + key + ".weight' has shape "
                    + shape + ", expected [llm_hidden_size, hidden_size]");
        }
        long out = expect(config, "llm_hidden_size", shape.get(0), key, shape, params);
        long in = expect(config, "hidden_size", shape.get(1), key, shape, params);
        NDArray weight = params.load(key + ".weight", new Shape(out, in), context.manager());
        NDArray bias = params.load(key + ".bias", new Shape(out), context.manager());
        return new LlamaProjStage(context.name(), weight, bias, config.getBoolean("single_image", false));
    }

    /** Returns the weight's dimension, refusing it when the configuration says otherwise. */
    private static long expect(Config config, String setting, long actual, String key, Shape shape,
                               ParameterStore params) {
        if (config.has(setting) && config.getInt(setting) != actual) {
            throw new ModelFormatException("model '" + params.modelName() + "': tensor '" + key + ".weight' has shape "
                    + shape + ", but " + setting + " is " + config.getInt(setting) + " (" + config.source() + ")");
        }
        return actual;
    }
}
