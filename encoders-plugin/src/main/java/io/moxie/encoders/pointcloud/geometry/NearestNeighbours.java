package io.moxie.encoders.pointcloud.geometry;

import java.util.Arrays;

/**
 * The {@code k} nearest points to a centre (README-octavius §3.1): smallest squared distance
 * {@code dx*dx + dy*dy + dz*dz} with {@code dx = x_j - c_x} (float32), ties broken by the lower position; the set is
 * returned sorted by ascending position.
 *
 * <p>A bounded max-heap ordered by (distance, position) keeps the {@code k} best seen so far; because positions
 * are visited in increasing order, a later point replaces the worst only when strictly closer. Instances hold
 * scratch memory for one caller at a time: not thread-safe; use one per thread.
 */
public final class NearestNeighbours {
    private float[] heapDist = new float[0];
    private int[] heapPos = new int[0];

    /**
     * Finds the {@code k} nearest of the first {@code n} points to {@code (cx, cy, cz)}; {@code k <= n}.
     *
     * @param out receives the positions, ascending, at {@code out[offset .. offset + k)}
     */
    public void select(float[] x, float[] y, float[] z, int n, float cx, float cy, float cz, int k, int[] out,
                       int offset) {
        if (heapDist.length < k) {
            heapDist = new float[k];
            heapPos = new int[k];
        }
        float[] hd = heapDist;
        int[] hp = heapPos;
        for (int j = 0; j < k; j++) {
            hd[j] = distance(x, y, z, j, cx, cy, cz);
            hp[j] = j;
        }
        for (int i = k / 2 - 1; i >= 0; i--) {
            siftDown(hd, hp, i, k);
        }
        float worst = hd[0];
        for (int j = k; j < n; j++) {
            float d = distance(x, y, z, j, cx, cy, cz);
            if (d < worst) {
                hd[0] = d;
                hp[0] = j;
                siftDown(hd, hp, 0, k);
                worst = hd[0];
            }
        }
        System.arraycopy(hp, 0, out, offset, k);
        Arrays.sort(out, offset, offset + k);
    }

    private static float distance(float[] x, float[] y, float[] z, int j, float cx, float cy, float cz) {
        float dx = x[j] - cx;
        float dy = y[j] - cy;
        float dz = z[j] - cz;
        return dx * dx + dy * dy + dz * dz;
    }

    /** Max-heap on (distance, position): the root is the farthest, the highest position among equal distances. */
    private static void siftDown(float[] hd, int[] hp, int i, int size) {
        float d = hd[i];
        int p = hp[i];
        while (true) {
            int child = 2 * i + 1;
            if (child >= size) {
                break;
            }
            int right = child + 1;
            if (right < size && worse(hd[right], hp[right], hd[child], hp[child])) {
                child = right;
            }
            if (!worse(hd[child], hp[child], d, p)) {
                break;
            }
            hd[i] = hd[child];
            hp[i] = hp[child];
            i = child;
        }
        hd[i] = d;
        hp[i] = p;
    }

    private static boolean worse(float da, int pa, float db, int pb) {
        return da > db || (da == db && pa > pb);
    }
}
