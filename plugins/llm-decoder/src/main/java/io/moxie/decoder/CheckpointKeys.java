package io.moxie.decoder;

/**
 * Checkpoint key names: Hugging Face's for the decoder (Llama, Mistral, Mixtral), the authors' delta-checkpoint names
 * for Octavius' LoRA-MoE and gate (README-decoder.md, "Weights").
 */
final class CheckpointKeys {
    static final String EMBED = "model.embed_tokens.weight";
    static final String FINAL_NORM = "model.norm.weight";
    static final String LM_HEAD = "lm_head.weight";
    /** Octavius' {@code Top2Gating} weight {@code [hidden, num_experts]}, shared by every LoRA-MoE projection. */
    static final String LORA_GATE = "gating_network.w_gating";

    private CheckpointKeys() {
    }

    /** Returns {@code model.layers.{i}.} */
    static String layer(int i) {
        return "model.layers." + i + ".";
    }

    /** Returns the key of attention projection {@code proj} ({@code q_proj} ...) of layer {@code i}. */
    static String attention(int i, String proj) {
        return layer(i) + "self_attn." + proj + ".weight";
    }

    /** Returns the key of a LoRA-MoE tensor ({@code which} = {@code A} or {@code B}) of a projection. */
    static String lora(int i, String proj, String which) {
        return "llama_model.base_model.model." + layer(i) + "self_attn." + proj + ".lora_moe_" + which + ".default";
    }

    /** Returns the key template of a Mixtral expert tensor ({@code w1}, {@code w2}, {@code w3}) of layer {@code i}. */
    static String mixtralExpert(int i, String which) {
        return layer(i) + "block_sparse_moe.experts.{e}." + which + ".weight";
    }

    /** Returns the key of Mixtral's router gate of layer {@code i}. */
    static String mixtralGate(int i) {
        return layer(i) + "block_sparse_moe.gate.weight";
    }
}
