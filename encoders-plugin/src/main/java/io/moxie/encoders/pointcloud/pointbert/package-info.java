/**
 * The {@code point-bert} stage: ULIP's Point-BERT object encoder (README-octavius §3). Grouping runs in exact float32
 * Java loops ({@link io.moxie.encoders.pointcloud.geometry}); the mini-PointNet and the transformer run as batched
 * DJL operations over all objects of a request.
 */
package io.moxie.encoders.pointcloud.pointbert;
