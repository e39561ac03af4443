package io.moxie.bench;

/** How far two candidates' outputs are apart, checked before any of them is timed. */
final class Agreement {
    private Agreement() {
    }

    /** Returns the largest |a[i] - b[i]|. */
    static double maxDifference(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new IllegalStateException("outputs of " + a.length + " and " + b.length + " values");
        }
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
