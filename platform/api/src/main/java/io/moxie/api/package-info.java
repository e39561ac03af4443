/**
 * The Moxie plugin API: the types a plugin bundle implements (routers, expert banks, pipeline stages) and the
 * services the kernel hands to them (weights, memory, MoE wiring).
 *
 * <p>The host exports this package through the OSGi system bundle, together with {@code ai.djl.*}, so that every
 * bundle shares one copy of these classes and of the DJL engine. A plugin registers {@link RouterFactory},
 * {@link ExpertBankFactory} or {@link StageFactory} services (Declarative Services components); the kernel finds
 * them by kind and name, builds components from them with a {@link ComponentContext}, and rebuilds a pipeline
 * whenever the implementation it uses changes.
 */
package io.moxie.api;
