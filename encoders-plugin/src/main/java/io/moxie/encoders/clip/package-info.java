/** The CLIP-MoE vision tower stage ({@code clip-moe}): CLIP ViT whose MLP blocks are MoE layers (CuMo). */
package io.moxie.encoders.clip;
