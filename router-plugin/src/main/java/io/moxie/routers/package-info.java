/**
 * Built-in routers: {@code topk} (CuMo, Mixtral: linear gate, float32 softmax, top-k, renormalised) and {@code hash}
 * (deterministic, weight-free). The factories are Declarative Services components; the routers themselves are
 * package-private. The bundle exports nothing.
 */
package io.moxie.routers;
