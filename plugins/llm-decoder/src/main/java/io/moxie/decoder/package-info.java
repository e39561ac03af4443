/**
 * The {@code llm} stage: Llama / Vicuna, Mistral and Mixtral decoders in Hugging Face layout, with Octavius' LoRA-MoE
 * on the attention projections, the LLaVA / CuMo multimodal splice, a request-scoped KV cache, and greedy or sampled
 * generation (README-decoder.md of the reference is the specification). Mixtral's sparse blocks and the LoRA-MoE
 * projections are {@link io.moxie.api.MoeLayer}s, so their routers and expert banks are chosen, and swapped, by the
 * pipeline. On the CPU the dense projections, the MLPs and {@code lm_head} run on OpenBLAS (the host's
 * {@code io.moxie.blas}, one pool of single-threaded parts; a decode step's one-row products as matrix-vector
 * products), on DJL on other devices. The factory ({@link io.moxie.decoder.LlmStageFactory}) is a Declarative Services component; everything
 * else is package-private. The bundle exports nothing.
 */
package io.moxie.decoder;
