package io.moxie.encoders.pointcloud.geometry;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The discrete rules of README-octavius §2 and §3.1, against brute force and on exact ties. */
class SamplingTieRulesTest {

    @Test
    void farthestPointSamplingMatchesTheNaiveLoopOnRandomPoints() {
        Random r = new Random(3);
        int n = 500;
        float[][] p = random(r, n);
        int[] got = new int[64];
        new FarthestPointSampler().sample(p[0], p[1], p[2], n, 64, got, 0);
        assertArrayEquals(naiveFps(p, n, 64), got);
    }

    @Test
    void farthestPointSamplingPrefersTheLowestPositionAmongEqualMaxima() {
        // a square's corners around the first point: all three others are equally far from point 0 (after the
        // first step), so position 1 wins; then 2 and 3 tie again and 2 wins
        float[] x = {0, 1, -1, 0, 0};
        float[] y = {0, 0, 0, 1, 0};
        float[] z = {0, 0, 0, 0, 0};
        int[] got = new int[4];
        new FarthestPointSampler().sample(x, y, z, 5, 4, got, 0);
        assertArrayEquals(new int[] {0, 1, 2, 3}, got);
    }

    @Test
    void whenEveryRemainingDistanceIsZeroSamplingReturnsToPositionZero() {
        float[] same = {0.25f, 0.25f, 0.25f};
        int[] got = new int[5];
        new FarthestPointSampler().sample(same, same, same, 3, 5, got, 0);
        assertArrayEquals(new int[] {0, 0, 0, 0, 0}, got);
    }

    @Test
    void nearestNeighboursMatchAStableSortOnRandomPointsWithDuplicates() {
        Random r = new Random(4);
        int n = 300;
        float[][] p = random(r, n);
        for (int i = 0; i < 60; i++) { // duplicates make exact distance ties
            int from = r.nextInt(n);
            int to = r.nextInt(n);
            p[0][to] = p[0][from];
            p[1][to] = p[1][from];
            p[2][to] = p[2][from];
        }
        NearestNeighbours knn = new NearestNeighbours();
        int[] got = new int[17];
        for (int c = 0; c < n; c += 7) {
            knn.select(p[0], p[1], p[2], n, p[0][c], p[1][c], p[2][c], 17, got, 0);
            assertArrayEquals(naiveKnn(p, n, c, 17), got, "centre " + c);
        }
    }

    @Test
    void nearestNeighbourTiesGoToTheLowerPosition() {
        float[] x = {2, 1, -1, 1, -1, 0};
        float[] zero = new float[6];
        int[] got = new int[3];
        new NearestNeighbours().select(x, zero, zero, 6, 0, 0, 0, 3, got, 0);
        assertArrayEquals(new int[] {1, 2, 5}, got); // 5 at distance 0, then 1 and 2 beat 3 and 4
    }

    private static float[][] random(Random r, int n) {
        float[][] p = new float[3][n];
        for (int a = 0; a < 3; a++) {
            for (int i = 0; i < n; i++) {
                p[a][i] = (float) r.nextGaussian();
            }
        }
        return p;
    }

    private static float sq(float[][] p, int j, float cx, float cy, float cz) {
        float dx = p[0][j] - cx;
        float dy = p[1][j] - cy;
        float dz = p[2][j] - cz;
        return dx * dx + dy * dy + dz * dz;
    }

    private static int[] naiveFps(float[][] p, int n, int k) {
        float[] dist = new float[n];
        Arrays.fill(dist, Float.POSITIVE_INFINITY);
        int[] out = new int[k];
        for (int i = 1; i < k; i++) {
            int last = out[i - 1];
            for (int j = 0; j < n; j++) {
                dist[j] = Math.min(dist[j], sq(p, j, p[0][last], p[1][last], p[2][last]));
            }
            int best = 0;
            for (int j = 1; j < n; j++) {
                if (dist[j] > dist[best]) {
                    best = j;
                }
            }
            out[i] = best;
        }
        return out;
    }

    private static int[] naiveKnn(float[][] p, int n, int c, int k) {
        return IntStream.range(0, n).boxed()
                .sorted(Comparator.comparingDouble((Integer j) -> sq(p, j, p[0][c], p[1][c], p[2][c])))
                .limit(k).mapToInt(Integer::intValue).sorted().toArray();
    }
}
