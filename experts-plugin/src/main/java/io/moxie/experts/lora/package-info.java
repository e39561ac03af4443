/**
 * Octavius' LoRA-MoE projections as expert banks: {@code y = x Wᵀ + Σ_j w_j (x A_{e_j}) B_{e_j}} on a frozen base
 * projection {@code W}, with the LoRA experts stored the authors' way ({@code lora_moe_A} {@code [E, in, r]},
 * {@code lora_moe_B} {@code [E, r, out]}) and no {@code lora_alpha / r} factor (the authors' {@code MoeLinear.forward}
 * never applies it). {@code lora} adds the deltas of the chosen experts to the base output; {@code lora-merged}
 * folds them into one effective weight per request. Both give the same numbers within float32 round-off and can be
 * swapped for each other at runtime. The factories are Declarative Services components; the bundle exports nothing.
 */
package io.moxie.experts.lora;
