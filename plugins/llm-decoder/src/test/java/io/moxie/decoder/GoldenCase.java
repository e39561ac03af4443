package io.moxie.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import ai.djl.ndarray.types.DataType;
import io.moxie.kernel.io.Npz;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One golden case of the decoder reference, copied into the test resources: {@code config.json},
 * {@code model.safetensors}, {@code inputs.npz}, {@code expected.npz}, {@code tolerance.json}.
 */
record GoldenCase(String name, Path dir, Map<String, HostTensor> inputs, Map<String, HostTensor> expected,
                  Map<String, double[]> tolerances) {
    static final double DEFAULT_ATOL = 1e-4;
    static final double DEFAULT_RTOL = 1e-3;

    static GoldenCase load(String name) {
        try {
            Path dir = Path.of(GoldenCase.class.getResource("/golden/octavius/" + name).toURI());
            return new GoldenCase(name, dir, Npz.read(dir.resolve("inputs.npz")), Npz.read(dir.resolve("expected.npz")),
                    tolerances(Files.readString(dir.resolve("tolerance.json"))));
        } catch (IOException | URISyntaxException e) {
            throw new IllegalStateException("golden case " + name, e);
        }
    }

    /** Parses {@code {"key": {"atol": a, "rtol": r}, ...}}. */
    private static Map<String, double[]> tolerances(String json) {
        Map<String, double[]> out = new LinkedHashMap<>();
        Matcher m = Pattern.compile("\"(\\w+)\"\\s*:\\s*\\{\\s*\"atol\"\\s*:\\s*([-+.eE0-9]+)\\s*,\\s*\"rtol\"\\s*:\\s*"
                + "([-+.eE0-9]+)\\s*}").matcher(json);
        while (m.find()) {
            out.put(m.group(1), new double[] {Double.parseDouble(m.group(2)), Double.parseDouble(m.group(3))});
        }
        return out;
    }

    /**
     * Checks every expected key against {@code actual}: integers exactly, floats within the case's tolerance.
     *
     * @return a one-line summary of the largest absolute error per float key
     */
    String check(Map<String, HostTensor> actual, String mode) {
        StringBuilder summary = new StringBuilder(name + " [" + mode + "]:");
        for (Map.Entry<String, HostTensor> e : expected.entrySet()) {
            String key = e.getKey();
            HostTensor want = e.getValue();
            HostTensor got = actual.get(key);
            String where = name + " [" + mode + "] key " + key;
            assertNotNull(got, where + " missing from the outputs " + actual.keySet());
            assertArrayEquals(want.shape(), got.shape(), where + " shape");
            if (want.dataType() == DataType.INT64) {
                assertArrayEquals(want.toLongArray(), got.toLongArray(), where);
                continue;
            }
            if (want.dataType() == DataType.UINT8) { // an image chat's pixel_uint8: byte for byte
                assertArrayEquals(want.toByteArray(), got.toByteArray(), where);
                continue;
            }
            assertEquals(DataType.FLOAT32, got.dataType(), where + " dtype");
            double[] tol = tolerances.getOrDefault(key, new double[] {DEFAULT_ATOL, DEFAULT_RTOL});
            float[] w = want.toFloatArray();
            float[] g = got.toFloatArray();
            double worst = 0;
            for (int i = 0; i < w.length; i++) {
                double err = Math.abs(g[i] - w[i]);
                worst = Math.max(worst, err);
                if (!(err <= tol[0] + tol[1] * Math.abs(w[i]))) {
                    throw new AssertionError(where + " element " + i + ": got " + g[i] + ", expected " + w[i]
                            + " (atol " + tol[0] + ", rtol " + tol[1] + ")");
                }
            }
            summary.append(String.format(" %s %.1e", key, worst));
        }
        return summary.toString();
    }
}
