package io.moxie.encoders.impl;

import ai.djl.ndarray.NDArray;
import io.moxie.api.MoxieException;
import java.util.Arrays;

/**
 * The MLP activations of CLIP and LLaVA-style connectors, by their Hugging Face {@code hidden_act} names. The names
 * are also what stages pass to expert banks as the MoE spec option {@code activation}.
 */
public enum Activation {
    /** {@code z · sigmoid(1.702 z)} (CLIP). */
    QUICK_GELU("quick_gelu"),
    /** Exact GELU {@code 0.5 z (1 + erf(z / √2))}, PyTorch's {@code nn.GELU()} (not the tanh approximation). */
    GELU("gelu");

    private final String configName;

    Activation(String configName) {
        this.configName = configName;
    }

    /** Returns the Hugging Face name ({@code quick_gelu}, {@code gelu}). */
    public String configName() {
        return configName;
    }

    /** Applies the activation; the result belongs to {@code z}'s manager. */
    public NDArray apply(NDArray z) {
        return switch (this) {
            case QUICK_GELU -> z.mul(ai.djl.nn.Activation.sigmoid(z.mul(1.702f)));
            // PyTorch's gelu defaults to approximate="none": the erf form, in one fused kernel
            case GELU -> z.getNDArrayInternal().gelu();
        };
    }

    /**
     * Returns the activation called {@code name}.
     *
     * @param setting the configuration setting it came from, for the message
     * @throws MoxieException naming the setting and the supported names if {@code name} is unknown
     */
    public static Activation of(String name, String setting) {
        for (Activation a : values()) {
            if (a.configName.equals(name)) {
                return a;
            }
        }
        throw new MoxieException(setting + ": activation '" + name + "' is not supported (supported: "
                + Arrays.stream(values()).map(a -> a.configName).toList() + ")");
    }
}
