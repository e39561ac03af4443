package io.moxie.encoders.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** Test resources written by {@code src/test/resources/image/make_fixtures.py} (PIL and the Python references). */
final class Fixtures {
    private Fixtures() {
    }

    static byte[] bytes(String resource) {
        try (InputStream in = Fixtures.class.getResourceAsStream("/" + resource)) {
            if (in == null) {
                throw new IllegalArgumentException("missing test resource " + resource);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The lines of a {@code cases.txt}, split at spaces. */
    static List<String[]> cases(String resource) {
        List<String[]> out = new ArrayList<>();
        for (String line : new String(bytes(resource), StandardCharsets.UTF_8).split("\n")) {
            if (!line.isBlank()) {
                out.add(line.trim().split(" "));
            }
        }
        return out;
    }

    /** Little-endian float32 values. */
    static float[] floats(byte[] raw) {
        float[] out = new float[raw.length / 4];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** Where two byte arrays differ: "n of m bytes differ, first at i (a vs b), max |diff| d", or null if equal. */
    static String byteDifference(byte[] expected, byte[] actual) {
        if (expected.length != actual.length) {
            return "lengths differ: " + expected.length + " vs " + actual.length;
        }
        int count = 0;
        int first = -1;
        int max = 0;
        for (int i = 0; i < expected.length; i++) {
            int d = Math.abs((expected[i] & 0xFF) - (actual[i] & 0xFF));
            if (d != 0) {
                count++;
                max = Math.max(max, d);
                if (first < 0) {
                    first = i;
                }
            }
        }
        return count == 0 ? null : count + " of " + expected.length + " bytes differ, first at " + first + " ("
                + (expected[first] & 0xFF) + " expected, " + (actual[first] & 0xFF) + " got), max |diff| " + max;
    }

    /** null if bit-identical, otherwise how many values differ and by how much at most. */
    static String floatDifference(float[] expected, float[] actual) {
        if (expected.length != actual.length) {
            return "lengths differ: " + expected.length + " vs " + actual.length;
        }
        int count = 0;
        double max = 0;
        for (int i = 0; i < expected.length; i++) {
            if (Float.floatToIntBits(expected[i]) != Float.floatToIntBits(actual[i])) {
                count++;
                max = Math.max(max, Math.abs((double) expected[i] - actual[i]));
            }
        }
        return count == 0 ? null : count + " of " + expected.length + " floats differ, max |diff| " + max;
    }
}
