package io.moxie.encoders.pointcloud.detect;

import io.moxie.api.Config;
import io.moxie.api.MoxieException;

/**
 * Settings of the geometric RoI extractor, from the stage's {@code config:} (over the model's config.json). Lengths
 * are in scene units (metres for ScanNet-like scenes); {@code +z} is up.
 *
 * @param groundDistance {@code ground_distance} (0.02): a point within this distance of the ground plane is ground
 * @param groundIterations {@code ground_iterations} (200): RANSAC trials
 * @param groundMaxTiltDegrees {@code ground_max_tilt_deg} (15): the ground's normal is at most this far from +z
 * @param groundMinFraction {@code ground_min_fraction} (0.05): a plane holding fewer points is not ground (none is
 *                          removed)
 * @param seed {@code ransac_seed} (0): the RANSAC random seed, so the same scene gives the same boxes
 * @param clusterTolerance {@code cluster_tolerance} (0.05): points closer than this belong to one object
 * @param minClusterPoints {@code min_cluster_points} (30): smaller clusters are noise
 * @param maxClusterPoints {@code max_cluster_points} (0 = no limit): larger clusters (walls, furniture groups) are
 *                         dropped
 * @param maxObjects {@code max_objects} (64): at most this many boxes, the largest clusters
 */
public record GeometricRoiOptions(double groundDistance, int groundIterations, double groundMaxTiltDegrees,
                                  double groundMinFraction, long seed, double clusterTolerance, int minClusterPoints,
                                  int maxClusterPoints, int maxObjects) {

    /**
     * Reads and validates the settings.
     *
     * @throws MoxieException naming the setting at fault
     */
    public static GeometricRoiOptions from(Config c) {
        GeometricRoiOptions o = new GeometricRoiOptions(c.getDouble("ground_distance", 0.02),
                c.getInt("ground_iterations", 200), c.getDouble("ground_max_tilt_deg", 15),
                c.getDouble("ground_min_fraction", 0.05), c.getInt("ransac_seed", 0),
                c.getDouble("cluster_tolerance", 0.05), c.getInt("min_cluster_points", 30),
                c.getInt("max_cluster_points", 0), c.getInt("max_objects", 64));
        check(c, o.groundDistance > 0, "ground_distance must be positive");
        check(c, o.groundIterations >= 0, "ground_iterations must not be negative");
        check(c, o.groundMaxTiltDegrees >= 0 && o.groundMaxTiltDegrees <= 90, "ground_max_tilt_deg must be in [0, 90]");
        check(c, o.groundMinFraction >= 0 && o.groundMinFraction <= 1, "ground_min_fraction must be in [0, 1]");
        check(c, o.clusterTolerance > 0, "cluster_tolerance must be positive");
        check(c, o.minClusterPoints >= 1, "min_cluster_points must be at least 1");
        check(c, o.maxClusterPoints >= 0, "max_cluster_points must not be negative (0 = no limit)");
        check(c, o.maxObjects >= 1, "max_objects must be at least 1");
        return o;
    }

    private static void check(Config c, boolean ok, String message) {
        if (!ok) {
            throw new MoxieException(c.source() + ": geometric-roi: " + message);
        }
    }
}
