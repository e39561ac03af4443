package io.moxie.encoders.pointcloud.geometry;

/**
 * The xyz columns of a row-major point array {@code [n, stride]} (stride 3 for xyz, 6 for xyzrgb), split into
 * three arrays for the sampling loops. Colour is never used geometrically (README-octavius §1), so it is dropped here.
 *
 * @param x the x coordinates, length {@code n}
 * @param y the y coordinates
 * @param z the z coordinates
 */
public record Coordinates(float[] x, float[] y, float[] z) {

    /** Splits the first three columns of {@code rows} ({@code n * stride} floats). */
    public static Coordinates of(float[] rows, int stride) {
        int n = rows.length / stride;
        float[] x = new float[n];
        float[] y = new float[n];
        float[] z = new float[n];
        for (int i = 0, o = 0; i < n; i++, o += stride) {
            x[i] = rows[o];
            y[i] = rows[o + 1];
            z[i] = rows[o + 2];
        }
        return new Coordinates(x, y, z);
    }

    /** Returns the number of points. */
    public int size() {
        return x.length;
    }
}
