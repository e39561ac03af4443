package io.moxie.encoders.pointcloud.detect;

import io.moxie.encoders.pointcloud.geometry.Coordinates;
import java.util.Random;

/**
 * Finds the ground: RANSAC over planes through three random points (fixed seed), keeping only planes whose normal
 * is within the tilt limit of {@code +z}, scored by the number of points within {@code ground_distance}. Stateless
 * apart from its options, hence thread-safe.
 */
final class GroundPlane {
    private final GeometricRoiOptions options;

    GroundPlane(GeometricRoiOptions options) {
        this.options = options;
    }

    /**
     * Marks the ground points.
     *
     * @return per point, whether it lies on the ground plane; all false when no plane holds
     *     {@code ground_min_fraction} of the points
     */
    boolean[] ground(Coordinates pts) {
        int n = pts.size();
        boolean[] ground = new boolean[n];
        if (n < 3) {
            return ground;
        }
        Random random = new Random(options.seed());
        double minCos = Math.cos(Math.toRadians(options.groundMaxTiltDegrees()));
        double[] best = null;
        int bestCount = 0;
        for (int it = 0; it < options.groundIterations(); it++) {
            double[] plane = plane(pts, random.nextInt(n), random.nextInt(n), random.nextInt(n), minCos);
            if (plane != null) {
                int count = count(pts, plane);
                if (count > bestCount) {
                    bestCount = count;
                    best = plane;
                }
            }
        }
        if (best == null || bestCount < options.groundMinFraction() * n) {
            return ground;
        }
        for (int i = 0; i < n; i++) {
            ground[i] = Math.abs(distance(pts, i, best)) <= options.groundDistance();
        }
        return ground;
    }

    /** The plane {@code (a, b, c, d)} with unit normal through three points, or null if degenerate or too steep. */
    private static double[] plane(Coordinates p, int i, int j, int k, double minCos) {
        double ux = p.x()[j] - p.x()[i];
        double uy = p.y()[j] - p.y()[i];
        double uz = p.z()[j] - p.z()[i];
        double vx = p.x()[k] - p.x()[i];
        double vy = p.y()[k] - p.y()[i];
        double vz = p.z()[k] - p.z()[i];
        double a = uy * vz - uz * vy;
        double b = uz * vx - ux * vz;
        double c = ux * vy - uy * vx;
        double len = Math.sqrt(a * a + b * b + c * c);
        if (len < 1e-12 || Math.abs(c) / len < minCos) {
            return null;
        }
        a /= len;
        b /= len;
        c /= len;
        return new double[] {a, b, c, -(a * p.x()[i] + b * p.y()[i] + c * p.z()[i])};
    }

    private int count(Coordinates p, double[] plane) {
        double t = options.groundDistance();
        int count = 0;
        for (int i = 0; i < p.size(); i++) {
            if (Math.abs(distance(p, i, plane)) <= t) {
                count++;
            }
        }
        return count;
    }

    private static double distance(Coordinates p, int i, double[] plane) {
        return plane[0] * p.x()[i] + plane[1] * p.y()[i] + plane[2] * p.z()[i] + plane[3];
    }
}
