package io.moxie.encoders.pointcloud.roi;

import io.moxie.encoders.pointcloud.geometry.Coordinates;
import io.moxie.encoders.pointcloud.geometry.FarthestPointSampler;

/**
 * Crops, samples and normalises one box (README-octavius §2): inclusive bounds; farthest point sampling from the
 * first inside point when at least {@code P} points are inside, cyclic repetition otherwise; centroid and radius in
 * float64, rounded to float32 at the end. Holds scratch memory: one instance per thread.
 */
final class ObjectSampler {
    private final int numPoints;
    private final FarthestPointSampler fps = new FarthestPointSampler();
    private final int[] picks;
    private int[] inside = new int[0];
    private float[] bx = new float[0];
    private float[] by = new float[0];
    private float[] bz = new float[0];

    ObjectSampler(int numPoints) {
        this.numPoints = numPoints;
        this.picks = new int[numPoints];
    }

    /**
     * Samples box {@code m} of {@code boxes} ({@code [M, 6]} row-major) from {@code scene}.
     *
     * @param sampleIdx receives the scene indices of the samples at {@code [m * P, (m + 1) * P)} when the box is not
     *                  empty (left untouched otherwise)
     * @param objectPoints receives the normalised xyz at {@code [m * P * 3, (m + 1) * P * 3)} likewise
     * @return the number of scene points inside the box
     */
    int sample(Coordinates scene, float[] boxes, int m, long[] sampleIdx, float[] objectPoints) {
        int count = crop(scene, boxes, m);
        if (count == 0) {
            return 0;
        }
        int p = numPoints;
        if (count >= p) {
            gatherInside(scene, count);
            fps.sample(bx, by, bz, count, p, picks, 0);
        } else {
            for (int k = 0; k < p; k++) {
                picks[k] = k % count;
            }
        }
        int base = m * p;
        for (int k = 0; k < p; k++) {
            sampleIdx[base + k] = inside[picks[k]];
        }
        normalise(scene, base, sampleIdx, objectPoints);
        return count;
    }

    private int crop(Coordinates scene, float[] boxes, int m) {
        float[] x = scene.x();
        float[] y = scene.y();
        float[] z = scene.z();
        int o = m * 6;
        float x0 = boxes[o];
        float y0 = boxes[o + 1];
        float z0 = boxes[o + 2];
        float x1 = boxes[o + 3];
        float y1 = boxes[o + 4];
        float z1 = boxes[o + 5];
        int n = scene.size();
        if (inside.length < n) {
            inside = new int[n];
        }
        int count = 0;
        for (int i = 0; i < n; i++) {
            float px = x[i];
            float py = y[i];
            float pz = z[i];
            if (px >= x0 && px <= x1 && py >= y0 && py <= y1 && pz >= z0 && pz <= z1) {
                inside[count++] = i;
            }
        }
        return count;
    }

    private void gatherInside(Coordinates scene, int count) {
        if (bx.length < count) {
            bx = new float[count];
            by = new float[count];
            bz = new float[count];
        }
        for (int j = 0; j < count; j++) {
            int i = inside[j];
            bx[j] = scene.x()[i];
            by[j] = scene.y()[i];
            bz[j] = scene.z()[i];
        }
    }

    /** ULIP pc_normalize in float64: subtract the centroid, divide by the largest distance to it (unless 0). */
    private void normalise(Coordinates scene, int base, long[] sampleIdx, float[] out) {
        int p = numPoints;
        double cx = 0;
        double cy = 0;
        double cz = 0;
        for (int k = 0; k < p; k++) {
            int i = (int) sampleIdx[base + k];
            cx += scene.x()[i];
            cy += scene.y()[i];
            cz += scene.z()[i];
        }
        cx /= p;
        cy /= p;
        cz /= p;
        double radius = 0;
        for (int k = 0; k < p; k++) {
            int i = (int) sampleIdx[base + k];
            double ux = scene.x()[i] - cx;
            double uy = scene.y()[i] - cy;
            double uz = scene.z()[i] - cz;
            radius = Math.max(radius, Math.sqrt(ux * ux + uy * uy + uz * uz));
        }
        double scale = radius > 0 ? radius : 1.0;
        int o = base * 3;
        for (int k = 0; k < p; k++) {
            int i = (int) sampleIdx[base + k];
            out[o++] = (float) ((scene.x()[i] - cx) / scale);
            out[o++] = (float) ((scene.y()[i] - cy) / scale);
            out[o++] = (float) ((scene.z()[i] - cz) / scale);
        }
    }
}
