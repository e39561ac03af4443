/**
 * The {@code geometric-roi} stage, an RoI extractor: object boxes for a scene that comes without them, by RANSAC
 * ground removal and Euclidean clustering. Any stage kind with the same ports ({@code points}, optional
 * {@code boxes} in; {@code boxes [M, 6]} out) can take its place.
 */
package io.moxie.encoders.pointcloud.detect;
