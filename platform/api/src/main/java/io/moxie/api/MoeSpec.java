package io.moxie.api;

import java.util.Map;
import java.util.Objects;

/**
 * Where a MoE layer's weights live in the checkpoint and how it is shaped, as a stage describes it to the kernel.
 * The router and expert bank implementations are not part of the spec: the pipeline definition chooses them.
 *
 * <p>Key templates use {@code {e}} for the expert index, e.g. {@code model.mm_projector.experts.{e}.0.weight}.
 *
 * @param layer the layer's name in traces and metrics (e.g. {@code layer3}, {@code projector})
 * @param gateKey checkpoint key of the gate weight {@code [E, dIn]} (routers that learn nothing may ignore it)
 * @param numExperts the number of experts {@code E}
 * @param topK experts per token {@code k}
 * @param expertKeys key templates of the expert tensors by role (for {@code mlp}: {@code fc1.weight},
 *                   {@code fc1.bias}, {@code fc2.weight}, {@code fc2.bias}; for {@code swiglu}: {@code w1}, {@code w2},
 *                   {@code w3}; for {@code lora}: {@code base}, {@code A}, {@code B})
 * @param options expert settings such as {@code activation} ({@code quick_gelu}, {@code gelu}, {@code silu})
 */
public record MoeSpec(String layer, String gateKey, int numExperts, int topK, Map<String, String> expertKeys,
                      Map<String, String> options) {
    public MoeSpec {
        Objects.requireNonNull(layer, "layer");
        if (numExperts < 1) {
            throw new IllegalArgumentException("MoE layer " + layer + ": num_experts must be >= 1, got " + numExperts);
        }
        if (topK < 1 || topK > numExperts) {
            throw new IllegalArgumentException("MoE layer " + layer + ": top-k must be in [1, " + numExperts
                    + "], got " + topK);
        }
        expertKeys = Map.copyOf(expertKeys);
        options = Map.copyOf(options);
    }

    /** Returns the checkpoint key of {@code role} for expert {@code e}. */
    public String expertKey(String role, int e) {
        String template = expertKeys.get(role);
        if (template == null) {
            throw new MoxieException("MoE layer " + layer + ": no checkpoint key for expert tensor '" + role + "'");
        }
        return template.replace("{e}", Integer.toString(e));
    }

    /** Returns whether a key template for {@code role} is present. */
    public boolean hasExpertKey(String role) {
        return expertKeys.containsKey(role);
    }

    /** Returns an option, or {@code fallback} when absent. */
    public String option(String name, String fallback) {
        return options.getOrDefault(name, fallback);
    }
}
