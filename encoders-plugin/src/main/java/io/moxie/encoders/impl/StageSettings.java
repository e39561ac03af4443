package io.moxie.encoders.impl;

import io.moxie.api.Config;
import java.util.Optional;

/**
 * Where a stage reads its settings. By default from its configuration as the kernel gives it (the model's
 * {@code config.json} overlaid with the stage's settings). With the stage setting {@code config_section}, from that
 * section of the model's configuration laid over the top level: a composite model keeps each part's settings in a
 * section of their own (an Octavius chat model holds its CLIP tower in {@code vision_config}, whose
 * {@code hidden_size} is not the decoder's). Keys the section holds win; the stage's own settings that the section
 * lacks (e.g. {@code mm_vision_select_layer}) still apply.
 */
public final class StageSettings {
    /** The stage setting naming the section. */
    public static final String SECTION = "config_section";

    private StageSettings() {
    }

    /**
     * Returns the settings to read, or empty when {@code config_section} names a section the model does not have
     * (the model lacks that part, e.g. a chat model without a vision tower).
     */
    public static Optional<Config> resolve(Config config) {
        if (!config.has(SECTION)) {
            return Optional.of(config);
        }
        String section = config.getString(SECTION);
        if (!config.has(section)) {
            return Optional.empty();
        }
        return Optional.of(config.with(config.getSection(section).asMap(), config.source() + " / " + section));
    }

    /** Says that the section named by {@code config_section} is missing, for {@link AbsentPartStage}. */
    public static String missing(Config config, String modelName) {
        return "model '" + modelName + "' has no '" + config.getString(SECTION) + "' section in its config.json";
    }
}
