/** The CuMo MLP-MoE connector stage ({@code mlp-moe-connector}): visual features to LLM-width tokens. */
package io.moxie.encoders.connector;
