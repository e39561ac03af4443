/**
 * The {@code grouped-mlp-blas} expert bank: {@code mlp} experts executed grouped by expert with every GEMM on OpenBLAS
 * (the host's shared {@code io.moxie.blas}), reading and writing the DJL arrays' own memory.
 * Only the factory is a public type (a Declarative Services component); the bundle exports nothing.
 */
package io.moxie.experts.blas;
