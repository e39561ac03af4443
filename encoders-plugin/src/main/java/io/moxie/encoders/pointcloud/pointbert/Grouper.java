package io.moxie.encoders.pointcloud.pointbert;

import io.moxie.encoders.pointcloud.geometry.FarthestPointSampler;
import io.moxie.encoders.pointcloud.geometry.NearestNeighbours;
import io.moxie.encoders.pointcloud.geometry.ParallelLoop;

/**
 * Point-BERT grouping (ULIP {@code dvae.Group}, README-octavius §3.1) of several objects, objects in parallel:
 * {@code G} centres by farthest point sampling from point 0, the {@code K} nearest points of each centre (sorted by
 * index), and each neighbourhood relative to its centre. Immutable, hence thread-safe.
 */
final class Grouper {
    private final int numPoints;
    private final int numGroup;
    private final int groupSize;

    /**
     * The groups of {@code count} objects, row-major.
     *
     * @param centerIdx {@code [count, G]} centre positions in selection order
     * @param knnIdx {@code [count, G, K]} neighbour positions, ascending per group
     * @param centers {@code [count, G, 3]} centre coordinates
     * @param neighbourhoods {@code [count, G, K, 3]} neighbour coordinates minus their centre's
     */
    record Groups(int count, int[] centerIdx, int[] knnIdx, float[] centers, float[] neighbourhoods) {
    }

    Grouper(int numPoints, int numGroup, int groupSize) {
        this.numPoints = numPoints;
        this.numGroup = numGroup;
        this.groupSize = groupSize;
    }

    /**
     * Groups the objects {@code objects[from .. to)} of {@code points} ({@code [M, P, 3]} row-major); {@code objects}
     * holds object rows.
     */
    Groups group(float[] points, int[] objects, int from, int to) {
        int count = to - from;
        int g = numGroup;
        int k = groupSize;
        Groups out = new Groups(count, new int[count * g], new int[count * g * k], new float[count * g * 3],
                new float[count * g * k * 3]);
        ParallelLoop.run(count, Scratch::new, (s, b) -> groupOne(points, objects[from + b], b, s, out));
        return out;
    }

    private final class Scratch {
        final float[] x = new float[numPoints];
        final float[] y = new float[numPoints];
        final float[] z = new float[numPoints];
        final FarthestPointSampler fps = new FarthestPointSampler();
        final NearestNeighbours knn = new NearestNeighbours();
    }

    private void groupOne(float[] points, int object, int b, Scratch s, Groups out) {
        int p = numPoints;
        int g = numGroup;
        int k = groupSize;
        for (int j = 0, o = object * p * 3; j < p; j++, o += 3) {
            s.x[j] = points[o];
            s.y[j] = points[o + 1];
            s.z[j] = points[o + 2];
        }
        s.fps.sample(s.x, s.y, s.z, p, g, out.centerIdx(), b * g);
        for (int c = 0; c < g; c++) {
            int row = b * g + c;
            int centre = out.centerIdx()[row];
            float cx = s.x[centre];
            float cy = s.y[centre];
            float cz = s.z[centre];
            out.centers()[row * 3] = cx;
            out.centers()[row * 3 + 1] = cy;
            out.centers()[row * 3 + 2] = cz;
            s.knn.select(s.x, s.y, s.z, p, cx, cy, cz, k, out.knnIdx(), row * k);
            for (int n = 0; n < k; n++) {
                int j = out.knnIdx()[row * k + n];
                int o = (row * k + n) * 3;
                out.neighbourhoods()[o] = s.x[j] - cx;
                out.neighbourhoods()[o + 1] = s.y[j] - cy;
                out.neighbourhoods()[o + 2] = s.z[j] - cz;
            }
        }
    }
}
