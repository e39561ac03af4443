package io.moxie.encoders;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import io.moxie.kernel.io.Npz;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A golden case copied from a reference into {@code src/test/resources/golden/<family>/<case>/}: the model
 * directory, its inputs, its expected outputs and their tolerances (README §7 of the CuMo reference, the same format
 * for Octavius).
 */
final class GoldenCase {
    private static final double ATOL = 1e-4;
    private static final double RTOL = 1e-3;

    private final Path dir;
    private final Map<String, HostTensor> expected;
    private final Map<String, Map<String, Double>> tolerance;

    private GoldenCase(Path dir) {
        this.dir = dir;
        this.expected = Npz.read(dir.resolve("expected.npz"));
        this.tolerance = readTolerance(dir.resolve("tolerance.json"));
    }

    static GoldenCase load(String name) {
        return load("cumo", name);
    }

    /** Loads {@code src/test/resources/golden/<family>/<name>} ({@code family} cumo or octavius). */
    static GoldenCase load(String family, String name) {
        try {
            return new GoldenCase(Path.of(GoldenCase.class.getResource("/golden/" + family + "/" + name).toURI()));
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("no golden case " + family + "/" + name + " in the test resources", e);
        }
    }

    /** Loads a case from any directory (one a test wrote). */
    static GoldenCase at(Path dir) {
        return new GoldenCase(dir);
    }

    Path dir() {
        return dir;
    }

    Map<String, HostTensor> inputs() {
        return Npz.read(dir.resolve("inputs.npz"));
    }

    Map<String, HostTensor> expected() {
        return expected;
    }

    /**
     * Checks that {@code actual} has every expected key (and no other among {@code keys}) with the expected dtype and
     * shape, integers exactly and floats within {@code |got − exp| ≤ atol + rtol·|exp|}.
     *
     * @return the largest absolute error of each float key, for the report
     */
    Map<String, Double> check(Map<String, HostTensor> actual, String label) {
        return check(actual, label, expected.keySet());
    }

    /** Like {@link #check(Map, String)} for the expected outputs {@code keys} only. */
    Map<String, Double> check(Map<String, HostTensor> actual, String label, Set<String> keys) {
        Map<String, Double> errors = new TreeMap<>();
        List<String> failures = new ArrayList<>();
        for (String key : keys) {
            HostTensor want = expected.get(key);
            HostTensor got = actual.get(key);
            if (got == null) {
                failures.add(key + ": missing");
                continue;
            }
            assertEquals(want.dataType(), got.dataType(), label + " " + key + " dtype");
            assertArrayEquals(want.shape(), got.shape(), label + " " + key + " shape");
            if (want.dataType() == DataType.UINT8) {
                if (!java.util.Arrays.equals(want.toByteArray(), got.toByteArray())) {
                    failures.add(key + ": bytes differ");
                }
            } else if (want.dataType() == DataType.INT64) {
                long[] w = want.toLongArray();
                long[] g = got.toLongArray();
                int differ = 0;
                for (int i = 0; i < w.length; i++) {
                    differ += w[i] == g[i] ? 0 : 1;
                }
                if (differ > 0) {
                    failures.add(key + ": " + differ + " of " + w.length + " indices differ");
                }
            } else {
                double atol = tolerance.getOrDefault(key, Map.of()).getOrDefault("atol", ATOL);
                double rtol = tolerance.getOrDefault(key, Map.of()).getOrDefault("rtol", RTOL);
                float[] w = want.toFloatArray();
                float[] g = got.toFloatArray();
                double worst = 0;
                int outside = 0;
                for (int i = 0; i < w.length; i++) {
                    double err = Math.abs((double) g[i] - w[i]);
                    worst = Math.max(worst, Double.isNaN(err) ? Double.POSITIVE_INFINITY : err);
                    outside += err <= atol + rtol * Math.abs(w[i]) ? 0 : 1;
                }
                errors.put(key, worst);
                if (outside > 0) {
                    failures.add(key + ": " + outside + " of " + w.length + " values outside tolerance, max error "
                            + worst);
                }
            }
        }
        if (!failures.isEmpty()) {
            fail(label + ": " + String.join("; ", failures));
        }
        assertTrue(keys.containsAll(actual.keySet()),
                label + ": unexpected outputs " + actual.keySet());
        return errors;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Map<String, Double>> readTolerance(Path file) {
        if (!Files.isRegularFile(file)) {
            return Map.of();
        }
        try {
            return new Gson().fromJson(Files.readString(file), Map.class);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
