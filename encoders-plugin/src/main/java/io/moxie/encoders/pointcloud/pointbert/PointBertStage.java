package io.moxie.encoders.pointcloud.pointbert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.InvalidInputException;
import io.moxie.api.MoxieException;
import io.moxie.api.RequestContext;
import io.moxie.api.Stage;
import io.moxie.api.TensorSpec;
import io.moxie.encoders.pointcloud.Octavius3dConfig;
import io.moxie.encoders.pointcloud.PointCloudChecks;
import io.moxie.encoders.pointcloud.WarmUpScene;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Point-BERT object encoder (README-octavius §3) over all kept objects of a request, batched (in batches of at
 * most {@code point_bert_batch} objects, default 4: see {@link PointBertFactory}).
 * Thread-safe: the weights are read-only and all request state is local.
 *
 * <p>Inputs: {@code object_points} float32 {@code [M, P, 3]}; {@code object_mask} int64 {@code [M]} (optional: all
 * objects kept when absent). Outputs, attached to the request's manager, one row per object, dropped objects
 * {@code -1} (indices) or 0 (floats): {@code center_idx} int64 {@code [M, G]}, {@code knn_idx} int64 {@code [M, G, K]},
 * {@code group_centers} float32 {@code [M, G, 3]}, {@code group_features} float32 {@code [M, G, encoder_dims]},
 * {@code pointbert_tokens} float32 {@code [M, G+1, C]}, {@code object_features} float32 {@code [M, D]}.
 */
final class PointBertStage implements Stage {
    private final Octavius3dConfig c;
    private final int batchObjects;
    private final Grouper grouper;
    private final MiniPointNet pointNet;
    private final PointTransformer transformer;
    private final NDArray pcProjection;

    PointBertStage(Octavius3dConfig config, int batchObjects, MiniPointNetWeights pointNetWeights,
                   TransformerWeights transformerWeights) {
        this.c = config;
        this.batchObjects = batchObjects;
        this.grouper = new Grouper(config.numPoints(), config.numGroup(), config.groupSize());
        this.pointNet = new MiniPointNet(pointNetWeights, config.groupSize());
        this.transformer = new PointTransformer(transformerWeights, config.transDim(), config.numHeads(),
                config.layerNormEps());
        this.pcProjection = transformerWeights.pcProjection();
    }

    @Override
    public List<TensorSpec> inputs() {
        return List.of(new TensorSpec("object_points", DataType.FLOAT32, new long[] {-1, c.numPoints(), 3}),
                new TensorSpec("object_mask", DataType.INT64, new long[] {-1}));
    }

    @Override
    public List<TensorSpec> outputs() {
        long g = c.numGroup();
        return List.of(new TensorSpec("center_idx", DataType.INT64, new long[] {-1, g}),
                new TensorSpec("knn_idx", DataType.INT64, new long[] {-1, g, c.groupSize()}),
                new TensorSpec("group_centers", DataType.FLOAT32, new long[] {-1, g, 3}),
                new TensorSpec("group_features", DataType.FLOAT32, new long[] {-1, g, c.encoderDims()}),
                new TensorSpec("pointbert_tokens", DataType.FLOAT32, new long[] {-1, g + 1, c.transDim()}),
                new TensorSpec("object_features", DataType.FLOAT32, new long[] {-1, c.objectFeatureDim()}));
    }

    @Override
    public Map<String, NDArray> run(Map<String, NDArray> inputs, RequestContext request) {
        NDArray pointsIn = PointCloudChecks.required(inputs, "object_points");
        int m = (int) pointsIn.getShape().get(0);
        float[] points = pointsIn.toFloatArray();
        if (!PointCloudChecks.allFinite(points)) {
            throw new InvalidInputException("object_points contain NaN or infinity");
        }
        int[] kept = keptObjects(inputs.get("object_mask"), m);
        int g = c.numGroup();
        int k = c.groupSize();
        long[] centerIdx = filled(m * g);
        long[] knnIdx = filled(m * g * k);
        float[] centers = new float[m * g * 3];
        NDManager result = request.manager();
        Map<String, NDArray> out = new LinkedHashMap<>();
        try (NDManager scratch = result.newSubManager()) {
            NDList features = new NDList();
            NDList tokens = new NDList();
            NDList objectFeatures = new NDList();
            for (int from = 0; from < kept.length; from += batchObjects) {
                if (request.isCancelled()) {
                    throw new MoxieException("request " + request.id() + " was cancelled in the point-bert stage after "
                            + from + " of " + kept.length + " objects");
                }
                int to = Math.min(kept.length, from + batchObjects);
                Grouper.Groups groups = grouper.group(points, kept, from, to);
                copyRows(groups, kept, from, centerIdx, knnIdx, centers);
                int b = groups.count();
                NDArray gf = pointNet.forward(groups.neighbourhoods(), b * g, scratch).reshape(b, g, c.encoderDims());
                NDArray x = transformer.forward(gf, scratch.create(groups.centers(), new Shape(b, g, 3)), scratch);
                features.add(gf);
                tokens.add(x);
                objectFeatures.add(pool(x));
            }
            out.put("center_idx", result.create(centerIdx, new Shape(m, g)));
            out.put("knn_idx", result.create(knnIdx, new Shape(m, g, k)));
            out.put("group_centers", result.create(centers, new Shape(m, g, 3)));
            out.put("group_features", rows(features, kept, m, new Shape(g, c.encoderDims()), scratch));
            out.put("pointbert_tokens", rows(tokens, kept, m, new Shape(g + 1, c.transDim()), scratch));
            out.put("object_features", rows(objectFeatures, kept, m, new Shape(c.objectFeatureDim()), scratch));
            out.values().forEach(a -> a.attach(result));
        }
        return out;
    }

    /** {@code cat(cls, max over the group tokens)} {@code [B, 2C]}, then {@code @ pc_projection} when configured. */
    private NDArray pool(NDArray x) {
        NDArray feat = NDArrays.concat(new NDList(x.get(":, 0"), x.get(":, 1:").max(new int[] {1})), 1);
        return pcProjection == null ? feat : feat.matMul(pcProjection);
    }

    /**
     * Stacks the per-batch results of the kept objects and places them at their object rows, zeros elsewhere.
     * The result belongs to {@code scratch}.
     */
    private static NDArray rows(NDList batches, int[] kept, int m, Shape row, NDManager scratch) {
        Shape full = new Shape(m).addAll(row);
        if (kept.length == 0) {
            return scratch.zeros(full);
        }
        NDArray stacked = batches.size() == 1 ? batches.get(0) : NDArrays.concat(batches, 0);
        if (kept.length == m) {
            return stacked;
        }
        NDArray padded = NDArrays.concat(new NDList(stacked, scratch.zeros(new Shape(1).addAll(row))), 0);
        long[] source = new long[m];
        Arrays.fill(source, kept.length); // the zero row
        for (int i = 0; i < kept.length; i++) {
            source[kept[i]] = i;
        }
        return padded.get(scratch.create(source));
    }

    private void copyRows(Grouper.Groups groups, int[] kept, int from, long[] centerIdx, long[] knnIdx, float[] centers) {
        int g = c.numGroup();
        int k = c.groupSize();
        for (int b = 0; b < groups.count(); b++) {
            int row = kept[from + b];
            for (int i = 0; i < g; i++) {
                centerIdx[row * g + i] = groups.centerIdx()[b * g + i];
            }
            for (int i = 0; i < g * k; i++) {
                knnIdx[row * g * k + i] = groups.knnIdx()[b * g * k + i];
            }
            System.arraycopy(groups.centers(), b * g * 3, centers, row * g * 3, g * 3);
        }
    }

    private static int[] keptObjects(NDArray mask, int m) {
        if (mask == null) {
            int[] all = new int[m];
            Arrays.setAll(all, i -> i);
            return all;
        }
        long[] values = mask.toLongArray();
        if (values.length != m) {
            throw new InvalidInputException("object_mask has " + values.length + " entries for " + m + " objects");
        }
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < m; i++) {
            if (values[i] != 0 && values[i] != 1) {
                throw new InvalidInputException("object_mask must hold 0 or 1, got " + values[i] + " at " + i);
            }
            if (values[i] == 1) {
                kept.add(i);
            }
        }
        return kept.stream().mapToInt(Integer::intValue).toArray();
    }

    private static long[] filled(int n) {
        long[] a = new long[n];
        Arrays.fill(a, -1L);
        return a;
    }

    /** One object: the corners of the unit cube ({@link WarmUpScene}), repeated. */
    @Override
    public Map<String, NDArray> warmUpInputs(NDManager manager) {
        float[] pts = Arrays.copyOf(WarmUpScene.corners((c.numPoints() + 7) / 8), c.numPoints() * 3);
        return Map.of("object_points", manager.create(pts, new Shape(1, c.numPoints(), 3)),
                "object_mask", manager.create(new long[] {1}));
    }
}
