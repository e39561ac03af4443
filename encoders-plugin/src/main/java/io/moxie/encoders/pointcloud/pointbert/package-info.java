/**
 * The {@code point-bert} stage: ULIP's Point-BERT object encoder (README-octavius §3). Grouping runs in exact float32
 * Java loops ({@link io.moxie.encoders.pointcloud.geometry}); the mini-PointNet and the transformer run batched over
 * the objects of a request, their linear maps and attention GEMMs on OpenBLAS when the host provides it
 * ({@link io.moxie.encoders.impl.LinearMap}, on the host's {@code io.moxie.blas}), everything else as DJL operations.
 */
package io.moxie.encoders.pointcloud.pointbert;
