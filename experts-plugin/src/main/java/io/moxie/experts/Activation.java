package io.moxie.experts;

import ai.djl.ndarray.NDArray;
import io.moxie.api.MoxieException;
import java.util.Arrays;

/** The activations an {@code mlp} expert may use, by their Hugging Face {@code hidden_act} names. */
enum Activation {
    /** {@code z · sigmoid(1.702 z)} (CLIP). */
    QUICK_GELU("quick_gelu"),
    /** Exact GELU {@code 0.5 z (1 + erf(z / √2))}, PyTorch's {@code nn.GELU()} (not the tanh approximation). */
    GELU("gelu");

    private final String configName;

    Activation(String configName) {
        this.configName = configName;
    }

    /** Returns the Hugging Face name. */
    String configName() {
        return configName;
    }

    /** Applies the activation; the result belongs to {@code z}'s manager. */
    NDArray apply(NDArray z) {
        return switch (this) {
            case QUICK_GELU -> z.mul(ai.djl.nn.Activation.sigmoid(z.mul(1.702f)));
            // PyTorch's gelu defaults to approximate="none": the erf form, in one fused kernel
            case GELU -> z.getNDArrayInternal().gelu();
        };
    }

    /**
     * @throws MoxieException naming the layer and the supported names if {@code name} is unknown or absent
     */
    static Activation of(String name, String layer) {
        for (Activation a : values()) {
            if (a.configName.equals(name)) {
                return a;
            }
        }
        throw new MoxieException("MoE layer " + layer + ": activation '" + name + "' is not supported (supported: "
                + Arrays.stream(values()).map(a -> a.configName).toList() + ")");
    }
}
