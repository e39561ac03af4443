/**
 * The point-cloud side of Octavius (Object-As-Scene, reference {@code README-octavius.md}): a point cloud, with
 * object boxes or without, becomes the few scene tokens an LLM reads. Each step is its own stage kind, so any of
 * them can be swapped like any other stage:
 *
 * <pre>
 * points | points_file --&gt; point-cloud-decode --&gt; points [N, 3|6]
 * points [+ boxes]      --&gt; geometric-roi (any roi-extractor) --&gt; boxes [M, 6]  (the request's boxes when given)
 * points, boxes         --&gt; roi-sampler  --&gt; object_points [M, P, 3], sample_idx, object_mask, object_point_count
 * object_points, mask   --&gt; point-bert   --&gt; object_features [M, D] (+ center_idx, knn_idx, group_*, tokens)
 * features, boxes, mask --&gt; scene-aggregator --&gt; object_embeds, resampler_out, scene_tokens [Q, llm_hidden_size]
 * </pre>
 *
 * The default pipeline of {@code model_type: octavius-3d} ({@code conf/model-types/octavius-3d.yaml}) wires them as
 * above and names its outputs as the golden {@code expected.npz} keys. Sub-packages: {@code geometry} (farthest point
 * sampling, kNN), {@code decode} (PLY / .npy / .npz parsing), {@code roi}, {@code pointbert}, {@code scene},
 * {@code detect} (the geometric RoI extractor).
 */
package io.moxie.encoders.pointcloud;
