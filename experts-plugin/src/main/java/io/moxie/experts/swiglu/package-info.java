/**
 * The {@code swiglu} expert bank: Mixtral's experts {@code w2(silu(w1 x) ⊙ w3 x)}, run grouped (the routed
 * (token, slot) pairs sorted by expert, one fused gate/up GEMM and one down GEMM per active expert). Also home of
 * {@link io.moxie.experts.swiglu.ExpertGroups}, the grouping the LoRA banks reuse for per-token routings. The
 * factory is a Declarative Services component; the bundle exports nothing.
 */
package io.moxie.experts.swiglu;
