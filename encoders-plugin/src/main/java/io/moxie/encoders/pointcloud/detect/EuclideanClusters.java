package io.moxie.encoders.pointcloud.detect;

import io.moxie.api.InvalidInputException;
import io.moxie.encoders.pointcloud.geometry.Coordinates;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Euclidean clustering: two points are linked when they are at most {@code cluster_tolerance} apart, and a cluster
 * is a connected set of linked points. A voxel grid of that cell size limits each neighbour search to 27 cells.
 * Clusters are found in the order of their lowest point index, so the result is deterministic. Stateless apart
 * from its options, hence thread-safe.
 */
final class EuclideanClusters {
    /** Cell coordinates are packed 21 bits per axis. */
    private static final long CELL_LIMIT = 1L << 20;

    private final GeometricRoiOptions options;

    EuclideanClusters(GeometricRoiOptions options) {
        this.options = options;
    }

    /** A cluster's size, lowest point index and axis-aligned bounds (min xyz, max xyz). */
    record Cluster(int size, int first, float[] box) {
    }

    /**
     * Clusters the points not excluded, keeps those within the size limits, at most {@code max_objects} (the
     * largest), and returns them ordered by their lowest point index.
     */
    List<Cluster> find(Coordinates pts, boolean[] excluded) {
        double tol = options.clusterTolerance();
        float tol2 = (float) (tol * tol);
        int n = pts.size();
        Grid grid = new Grid(pts, excluded, tol);
        boolean[] visited = excluded.clone();
        int[] queue = new int[n];
        List<Cluster> clusters = new ArrayList<>();
        for (int seed = 0; seed < n; seed++) {
            if (visited[seed]) {
                continue;
            }
            visited[seed] = true;
            int head = 0;
            int tail = 0;
            queue[tail++] = seed;
            float[] box = {Float.MAX_VALUE, Float.MAX_VALUE, Float.MAX_VALUE,
                -Float.MAX_VALUE, -Float.MAX_VALUE, -Float.MAX_VALUE};
            while (head < tail) {
                int q = queue[head++];
                grow(box, pts, q);
                tail = grid.visitNeighbours(pts, q, tol2, visited, queue, tail);
            }
            int size = tail;
            if (size >= options.minClusterPoints()
                    && (options.maxClusterPoints() == 0 || size <= options.maxClusterPoints())) {
                clusters.add(new Cluster(size, seed, box));
            }
        }
        if (clusters.size() > options.maxObjects()) {
            clusters.sort(Comparator.comparingInt(Cluster::size).reversed().thenComparingInt(Cluster::first));
            clusters = new ArrayList<>(clusters.subList(0, options.maxObjects()));
            clusters.sort(Comparator.comparingInt(Cluster::first));
        }
        return clusters;
    }

    private static void grow(float[] box, Coordinates p, int i) {
        box[0] = Math.min(box[0], p.x()[i]);
        box[1] = Math.min(box[1], p.y()[i]);
        box[2] = Math.min(box[2], p.z()[i]);
        box[3] = Math.max(box[3], p.x()[i]);
        box[4] = Math.max(box[4], p.y()[i]);
        box[5] = Math.max(box[5], p.z()[i]);
    }

    /** Points bucketed by cell, in compressed-row form: cell {@code c} holds {@code order[start[c] .. start[c+1])}. */
    private static final class Grid {
        private final double cell;
        private final Map<Long, Integer> ids = new HashMap<>();
        private final int[] start;
        private final int[] order;

        Grid(Coordinates p, boolean[] excluded, double cell) {
            this.cell = cell;
            int n = p.size();
            int[] cellOf = new int[n];
            List<Integer> sizes = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                if (excluded[i]) {
                    cellOf[i] = -1;
                    continue;
                }
                int id = ids.computeIfAbsent(key(p, i), k -> ids.size());
                if (id == sizes.size()) {
                    sizes.add(0);
                }
                sizes.set(id, sizes.get(id) + 1);
                cellOf[i] = id;
            }
            start = new int[sizes.size() + 1];
            for (int c = 0; c < sizes.size(); c++) {
                start[c + 1] = start[c] + sizes.get(c);
            }
            order = new int[start[sizes.size()]];
            int[] fill = start.clone();
            for (int i = 0; i < n; i++) {
                if (cellOf[i] >= 0) {
                    order[fill[cellOf[i]]++] = i;
                }
            }
        }

        /** Appends to {@code queue} every unvisited point within the tolerance of point {@code q}; returns the tail. */
        int visitNeighbours(Coordinates p, int q, float tol2, boolean[] visited, int[] queue, int tail) {
            long cx = coordinate(p.x()[q]);
            long cy = coordinate(p.y()[q]);
            long cz = coordinate(p.z()[q]);
            float qx = p.x()[q];
            float qy = p.y()[q];
            float qz = p.z()[q];
            for (long dx = -1; dx <= 1; dx++) {
                for (long dy = -1; dy <= 1; dy++) {
                    for (long dz = -1; dz <= 1; dz++) {
                        Integer id = ids.get(pack(cx + dx, cy + dy, cz + dz));
                        if (id == null) {
                            continue;
                        }
                        for (int k = start[id]; k < start[id + 1]; k++) {
                            int r = order[k];
                            if (visited[r]) {
                                continue;
                            }
                            float ex = p.x()[r] - qx;
                            float ey = p.y()[r] - qy;
                            float ez = p.z()[r] - qz;
                            if (ex * ex + ey * ey + ez * ez <= tol2) {
                                visited[r] = true;
                                queue[tail++] = r;
                            }
                        }
                    }
                }
            }
            return tail;
        }

        private long key(Coordinates p, int i) {
            return pack(coordinate(p.x()[i]), coordinate(p.y()[i]), coordinate(p.z()[i]));
        }

        private long coordinate(float v) {
            long c = (long) Math.floor(v / cell);
            if (c <= -CELL_LIMIT || c >= CELL_LIMIT - 1) {
                throw new InvalidInputException("the scene spans more than " + CELL_LIMIT + " cells of "
                        + "cluster_tolerance " + cell + "; raise cluster_tolerance or pass boxes");
            }
            return c;
        }

        private static long pack(long x, long y, long z) {
            return ((x + CELL_LIMIT) << 42) | ((y + CELL_LIMIT) << 21) | (z + CELL_LIMIT);
        }
    }
}
