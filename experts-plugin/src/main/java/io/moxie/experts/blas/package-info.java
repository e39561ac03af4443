/**
 * The {@code grouped-mlp-blas} expert bank: {@code mlp} experts executed grouped by expert with every GEMM on OpenBLAS
 * (the host's shared {@code io.moxie.blas}), reading and writing the DJL arrays' own memory.
 * Public types: the factory (a Declarative Services component) and {@link io.moxie.experts.blas.BlasExpertBankFactory},
 * the checks every OpenBLAS bank's factory shares (also {@code swiglu-blas}'s); the bundle exports nothing.
 */
package io.moxie.experts.blas;
