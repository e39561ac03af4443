/**
 * Moxie's float32 GEMMs on OpenBLAS ({@code org.bytedeco:openblas} through JavaCPP), over DJL arrays' own memory:
 * loading ({@link io.moxie.blas.OpenBlas}), memory views ({@link io.moxie.blas.SharedMemory}), one pool of
 * single-threaded parts ({@link io.moxie.blas.Parts}), linear maps (with or without bias, one row as a matrix-vector
 * product, wide weights transposed for it: {@link io.moxie.blas.BlasLinear}), dense MLPs with weights in their
 * checkpoint {@code [out, in]} layout ({@link io.moxie.blas.BlasMlp}) and the fused
 * activations ({@link io.moxie.blas.FusedActivation}). A host module: the kernel exports this package to bundles
 * (like the API), so every plugin shares one copy.
 */
package io.moxie.blas;
