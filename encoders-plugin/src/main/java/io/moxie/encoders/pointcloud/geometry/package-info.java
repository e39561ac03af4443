/**
 * The discrete geometry of the point-cloud path, in plain float32 Java loops so that every choice (sample, centre,
 * neighbour) is exactly the reference's: farthest point sampling and k-nearest-neighbour selection with the tie
 * rules of README-octavius §2 and §3.1.
 */
package io.moxie.encoders.pointcloud.geometry;
