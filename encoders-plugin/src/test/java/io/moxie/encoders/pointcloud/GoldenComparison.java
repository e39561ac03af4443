package io.moxie.encoders.pointcloud;

import ai.djl.ndarray.types.DataType;
import com.google.gson.Gson;
import com.google.gson.reflect.TypeToken;
import io.moxie.kernel.io.Npz;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The golden format's comparison ({@code compare.py}): every key of {@code expected.npz} must be present with its
 * shape; integer keys equal exactly; float keys within {@code |got - exp| <= atol + rtol * |exp|}, per key from
 * {@code tolerance.json} (default atol 1e-4, rtol 1e-3).
 */
final class GoldenComparison {
    private GoldenComparison() {
    }

    /** The outcome for one case: a line per key and the failures. */
    record Report(List<String> lines, List<String> failures) {
        String summary() {
            return String.join("\n", lines);
        }
    }

    static Report compare(Path caseDir, Map<String, HostTensor> got) {
        Map<String, HostTensor> expected = Npz.read(caseDir.resolve("expected.npz"));
        Map<String, Map<String, Double>> tolerances = tolerances(caseDir.resolve("tolerance.json"));
        List<String> lines = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        for (Map.Entry<String, HostTensor> e : expected.entrySet()) {
            String key = e.getKey();
            HostTensor exp = e.getValue();
            HostTensor g = got.get(key);
            if (g == null) {
                failures.add(key + ": missing");
                continue;
            }
            if (!Arrays.equals(exp.shape(), g.shape())) {
                failures.add(key + ": shape " + Arrays.toString(g.shape()) + " != " + Arrays.toString(exp.shape()));
                continue;
            }
            if (exp.dataType() == DataType.INT64) {
                long[] a = exp.toLongArray();
                long[] b = g.dataType() == DataType.INT64 ? g.toLongArray() : null;
                int differ = 0;
                for (int i = 0; b != null && i < a.length; i++) {
                    differ += a[i] != b[i] ? 1 : 0;
                }
                if (b == null || differ > 0) {
                    failures.add(key + ": " + (b == null ? "dtype " + g.dataType() : differ + "/" + a.length + " ids differ"));
                }
                lines.add(String.format(Locale.ROOT, "%-19s ids equal: %s", key, b != null && differ == 0));
            } else {
                Map<String, Double> tol = tolerances.getOrDefault(key, Map.of());
                double atol = tol.getOrDefault("atol", 1e-4);
                double rtol = tol.getOrDefault("rtol", 1e-3);
                float[] a = exp.toFloatArray();
                float[] b = g.toFloatArray();
                double worst = 0;
                int outside = 0;
                for (int i = 0; i < a.length; i++) {
                    double d = Math.abs((double) b[i] - a[i]);
                    if (!Double.isFinite(b[i]) || d > atol + rtol * Math.abs(a[i])) {
                        outside++;
                    }
                    worst = Math.max(worst, Double.isFinite(d) ? d : Double.POSITIVE_INFINITY);
                }
                if (outside > 0) {
                    failures.add(String.format(Locale.ROOT, "%s: %d/%d values outside atol %g rtol %g, max abs err %.3g",
                            key, outside, a.length, atol, rtol, worst));
                }
                lines.add(String.format(Locale.ROOT, "%-19s max abs err %.3g (atol %g, rtol %g)", key, worst, atol, rtol));
            }
        }
        return new Report(lines, failures);
    }

    private static Map<String, Map<String, Double>> tolerances(Path file) {
        if (!Files.isRegularFile(file)) {
            return Map.of();
        }
        try {
            return new Gson().fromJson(Files.readString(file), new TypeToken<Map<String, Map<String, Double>>>() { }.getType());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
