package io.moxie.encoders.pointcloud.geometry;

import java.util.Arrays;

/**
 * Deterministic farthest point sampling (README-octavius §2 step 3 and §3.1): the first sample is position 0; each
 * step keeps, per point, the running minimum of the squared distance {@code dx*dx + dy*dy + dz*dz} (float32, in that
 * order) to the samples so far, and picks the point whose minimum is largest, the lowest position among equal
 * maxima. When every remaining distance is 0 that is position 0 again.
 *
 * <p>Points are given as three coordinate arrays (structure of arrays keeps the inner loop on contiguous floats).
 * Instances hold scratch memory for one caller at a time: not thread-safe; use one per thread.
 */
public final class FarthestPointSampler {
    private float[] dist = new float[0];

    /**
     * Samples {@code k} of the first {@code n} points.
     *
     * @param out receives the sampled positions (in {@code [0, n)}) in selection order at {@code out[offset ..
     *            offset + k)}
     */
    public void sample(float[] x, float[] y, float[] z, int n, int k, int[] out, int offset) {
        if (dist.length < n) {
            dist = new float[n];
        }
        float[] d = dist;
        Arrays.fill(d, 0, n, Float.POSITIVE_INFINITY);
        int last = 0;
        out[offset] = 0;
        for (int i = 1; i < k; i++) {
            float lx = x[last];
            float ly = y[last];
            float lz = z[last];
            // Two passes: this one has no data-dependent branch, so the JIT vectorises it (about twice as fast as
            // tracking the position of the maximum in the same loop); the max of exact floats is order-independent.
            float best = -1f;
            for (int j = 0; j < n; j++) {
                float dx = x[j] - lx;
                float dy = y[j] - ly;
                float dz = z[j] - lz;
                float m = Math.min(d[j], dx * dx + dy * dy + dz * dz);
                d[j] = m;
                best = Math.max(best, m);
            }
            // the lowest position holding the maximum
            int at = 0;
            while (d[at] != best) {
                at++;
            }
            out[offset + i] = at;
            last = at;
        }
    }
}
