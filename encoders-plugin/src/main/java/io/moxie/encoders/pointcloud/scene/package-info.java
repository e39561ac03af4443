/**
 * The {@code scene-aggregator} stage: Octavius's {@code encode_pcl} (README-octavius §4), object features and boxes
 * to the scene tokens the LLM reads.
 */
package io.moxie.encoders.pointcloud.scene;
