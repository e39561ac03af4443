package io.moxie.decoder;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The comparison of two float32 computations of the same values in a different order of operations. */
final class Closeness {
    private Closeness() {
    }

    /** Asserts equal lengths and a largest difference within 1e-5 of the largest magnitude (or of 1). */
    static void assertClose(float[] expected, float[] actual, String what) {
        double scale = 0;
        double error = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            error = Math.max(error, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(expected.length == actual.length && error <= 1e-5 * Math.max(1, scale),
                what + ": max error " + error + " of values up to " + scale);
    }
}
