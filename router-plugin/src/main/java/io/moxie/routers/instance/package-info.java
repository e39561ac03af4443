/**
 * The {@code instance} router: Octavius' per-request gate ({@code Top2Gating} with {@code reduce_token=True}), one
 * decision from the instruction's token embeddings applied to every token of every LoRA-MoE layer. The factory is a
 * Declarative Services component; the bundle exports nothing. How the instruction reaches the router is described on
 * {@link io.moxie.routers.instance.InstanceRouterFactory}.
 */
package io.moxie.routers.instance;
