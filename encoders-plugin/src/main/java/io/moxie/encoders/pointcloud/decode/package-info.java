/**
 * The {@code point-cloud-decode} stage: a request's point cloud, as an array or as the bytes of a PLY, {@code .npy}
 * or {@code .npz} file, to checked float32 points.
 */
package io.moxie.encoders.pointcloud.decode;
