/**
 * The {@code roi-sampler} stage: crop each object box out of the scene, sample a fixed number of points, normalise
 * (README-octavius §2).
 */
package io.moxie.encoders.pointcloud.roi;
