/** Octavius' {@code llama_proj} stage ({@code llama-proj}): image patch features to tokens of the LLM's width. */
package io.moxie.encoders.projection;
