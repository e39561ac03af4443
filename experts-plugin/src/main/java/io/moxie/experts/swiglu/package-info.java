/**
 * The {@code swiglu} and {@code swiglu-blas} expert banks: Mixtral's experts {@code w2(silu(w1 x) ⊙ w3 x)}, run
 * grouped (the routed (token, slot) pairs sorted by expert, one fused gate/up GEMM and one down GEMM per active
 * expert), on DJL or with every GEMM on OpenBLAS (the host's {@code io.moxie.blas}, CPU only). Also home of
 * {@link io.moxie.experts.swiglu.ExpertGroups}, the grouping the LoRA banks reuse for per-token routings. The
 * factories are Declarative Services components; the bundle exports nothing.
 */
package io.moxie.experts.swiglu;
