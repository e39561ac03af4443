package io.moxie.encoders.clip;

import io.moxie.api.Config;
import io.moxie.api.MoxieException;
import io.moxie.encoders.impl.Activation;

/**
 * The vision tower's settings, read from the model's {@code config.json} (HF {@code CLIPVisionConfig} names plus
 * LLaVA/CuMo's feature selection) and validated once.
 *
 * @param hiddenSize {@code D}
 * @param heads attention heads ({@code D} divisible by it)
 * @param layers {@code L}, the layers in the checkpoint
 * @param layersUsed layers that influence the selected feature ({@code 0..layersUsed-1}), README §4.4
 * @param channels input channels
 * @param imageSize {@code S}
 * @param patchSize {@code P} ({@code S} divisible by it)
 * @param eps LayerNorm epsilon
 * @param activation the MLP activation
 * @param keepCls whether the feature keeps the CLS token ({@code cls_patch}) or drops it ({@code patch})
 * @param patchTokens with {@code patch}, how many patch tokens the feature keeps, the first in row-major order:
 *                    {@code min(num_vision_token, G²)} (Octavius / LAMM), all {@code G²} without the setting
 */
record TowerConfig(int hiddenSize, int heads, int layers, int layersUsed, int channels, int imageSize, int patchSize,
                   double eps, Activation activation, boolean keepCls, int patchTokens) {

    static TowerConfig of(Config config) {
        String where = config.source();
        int hidden = positive(config, "hidden_size", config.getInt("hidden_size"));
        int heads = positive(config, "num_attention_heads", config.getInt("num_attention_heads"));
        if (hidden % heads != 0) {
            throw new MoxieException(where + ": hidden_size " + hidden + " is not divisible by num_attention_heads "
                    + heads);
        }
        int layers = positive(config, "num_hidden_layers", config.getInt("num_hidden_layers"));
        int image = positive(config, "image_size", config.getInt("image_size"));
        int patch = positive(config, "patch_size", config.getInt("patch_size"));
        if (image % patch != 0) {
            throw new MoxieException(where + ": image_size " + image + " is not a multiple of patch_size " + patch);
        }
        // hidden_states[0] is the embedding output and hidden_states[i] the output of layer i-1 (HF convention)
        int select = config.getInt("mm_vision_select_layer", -2);
        int used = select < 0 ? layers + 1 + select : select;
        if (used < 0 || used > layers) {
            throw new MoxieException(where + ": mm_vision_select_layer " + select + " is out of range for "
                    + layers + " layers");
        }
        String feature = config.getString("mm_vision_select_feature", "patch");
        if (!feature.equals("patch") && !feature.equals("cls_patch")) {
            throw new MoxieException(where + ": mm_vision_select_feature must be 'patch' or 'cls_patch', got '"
                    + feature + "'");
        }
        Activation activation = Activation.of(config.getString("hidden_act", "quick_gelu"),
                where + ": setting 'hidden_act'");
        int patches = (image / patch) * (image / patch);
        if (feature.equals("cls_patch") && config.has("num_vision_token")) {
            throw new MoxieException(where + ": num_vision_token keeps the first patch tokens of the 'patch' feature; "
                    + "it does not apply to 'cls_patch'");
        }
        int kept = Math.min(positive(config, "num_vision_token", config.getInt("num_vision_token", patches)), patches);
        int channels = positive(config, "num_channels", config.getInt("num_channels", 3));
        return new TowerConfig(hidden, heads, layers, used, channels, image, patch, config.getDouble("layer_norm_eps", 1e-5), activation, feature.equals("cls_patch"), kept);
    }

    private static int positive(Config config, String key, int value) {
        if (value < 1) {
            throw new MoxieException(config.source() + ": setting '" + key + "' must be positive, got " + value);
        }
        return value;
    }

    /** Returns {@code G}, patches per side. */
    int grid() {
        return imageSize / patchSize;
    }

    /** Returns {@code T = G² + 1}, the tokens per image including CLS. */
    int tokens() {
        return grid() * grid() + 1;
    }

    /** Returns the tokens per image in the selected feature. */
    int featureTokens() {
        return keepCls ? tokens() : patchTokens;
    }
}
