package io.moxie.api;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Read-only typed view of a configuration: a model's {@code config.json} overlaid with a pipeline stage's settings.
 * Every getter names the setting and its source when the value is missing or of the wrong type, so a component
 * can validate its configuration in one line per field.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class Config {
    private final Map<String, Object> values;
    private final String source;

    /**
     * @param values the settings (JSON/YAML scalars, lists and maps)
     * @param source what the settings come from, used in error messages (e.g. {@code "stage 'connector'"})
     */
    public Config(Map<String, ?> values, String source) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.source = source;
    }

    /** Returns an empty configuration. */
    public static Config empty(String source) {
        return new Config(Map.of(), source);
    }

    /** Returns a configuration with {@code overrides} laid over this one. */
    public Config with(Map<String, ?> overrides, String newSource) {
        Map<String, Object> merged = new LinkedHashMap<>(values);
        merged.putAll(overrides);
        return new Config(merged, newSource);
    }

    /** Returns where the settings come from. */
    public String source() {
        return source;
    }

    /** Returns whether the setting is present and not null. */
    public boolean has(String key) {
        return values.get(key) != null;
    }

    /** Returns all settings as an unmodifiable map. */
    public Map<String, Object> asMap() {
        return values;
    }

    /** Returns a required string setting. */
    public String getString(String key) {
        return require(key).toString();
    }

    /** Returns a string setting, or {@code fallback} when absent. */
    public String getString(String key, String fallback) {
        Object v = values.get(key);
        return v == null ? fallback : v.toString();
    }

    /** Returns a required integer setting. */
    public int getInt(String key) {
        return toInt(key, require(key));
    }

    /** Returns an integer setting, or {@code fallback} when absent. */
    public int getInt(String key, int fallback) {
        Object v = values.get(key);
        return v == null ? fallback : toInt(key, v);
    }

    /** Returns a required floating-point setting. */
    public double getDouble(String key) {
        return toNumber(key, require(key)).doubleValue();
    }

    /** Returns a floating-point setting, or {@code fallback} when absent. */
    public double getDouble(String key, double fallback) {
        Object v = values.get(key);
        return v == null ? fallback : toNumber(key, v).doubleValue();
    }

    /** Returns a boolean setting, or {@code fallback} when absent. */
    public boolean getBoolean(String key, boolean fallback) {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        if (v instanceof Boolean b) {
            return b;
        }
        if ("true".equalsIgnoreCase(v.toString()) || "false".equalsIgnoreCase(v.toString())) {
            return Boolean.parseBoolean(v.toString());
        }
        throw invalid(key, v, "a boolean");
    }

    /** Returns a byte size ({@code 1024}, {@code 512MiB}, {@code 8GB}), or {@code fallback} when absent. */
    public long getSize(String key, long fallback) {
        Object v = values.get(key);
        return v == null ? fallback : parseSize(v, source + ": setting '" + key + "'");
    }

    /**
     * Parses a byte size: a number of bytes, or a number with a unit {@code KB}, {@code MB}, {@code GB}, {@code TB}
     * ({@code KiB} ... too; both mean powers of 1024).
     *
     * @param where names the setting in the error
     * @throws MoxieException if the value is not a size
     */
    public static long parseSize(Object value, String where) {
        if (value instanceof Number n) {
            if (n.doubleValue() < 0) {
                throw new MoxieException(where + ": size must not be negative, got " + value);
            }
            return n.longValue();
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([KMGT]i?B|B)?",
                java.util.regex.Pattern.CASE_INSENSITIVE).matcher(String.valueOf(value).trim());
        if (!m.matches()) {
            throw new MoxieException(where + ": '" + value + "' is not a size (e.g. 512MiB, 8GiB)");
        }
        String unit = m.group(2) == null ? "B" : m.group(2).toUpperCase(java.util.Locale.ROOT).replace("I", "");
        int shift = switch (unit) {
            case "KB" -> 10;
            case "MB" -> 20;
            case "GB" -> 30;
            case "TB" -> 40;
            default -> 0;
        };
        return (long) (Double.parseDouble(m.group(1)) * (1L << shift));
    }

    /** Returns a list of integers, or {@code fallback} when absent. */
    public int[] getIntArray(String key, int[] fallback) {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        List<?> list = toList(key, v);
        int[] out = new int[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = toInt(key, list.get(i));
        }
        return out;
    }

    /** Returns a list of doubles, or {@code fallback} when absent. */
    public double[] getDoubleArray(String key, double[] fallback) {
        Object v = values.get(key);
        if (v == null) {
            return fallback;
        }
        List<?> list = toList(key, v);
        double[] out = new double[list.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = toNumber(key, list.get(i)).doubleValue();
        }
        return out;
    }

    /** Returns a list of strings, or an empty list when absent. */
    public List<String> getStringList(String key) {
        Object v = values.get(key);
        if (v == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (Object o : toList(key, v)) {
            out.add(String.valueOf(o));
        }
        return List.copyOf(out);
    }

    /** Returns a nested map setting as a configuration, or an empty one when absent. */
    @SuppressWarnings("unchecked")
    public Config getSection(String key) {
        Object v = values.get(key);
        if (v == null) {
            return empty(source + " / " + key);
        }
        if (v instanceof Map<?, ?> m) {
            return new Config((Map<String, ?>) m, source + " / " + key);
        }
        throw invalid(key, v, "a map");
    }

    /** Returns the value, or empty when absent. */
    public Optional<Object> get(String key) {
        return Optional.ofNullable(values.get(key));
    }

    private Object require(String key) {
        Object v = values.get(key);
        if (v == null) {
            throw new MoxieException(source + ": setting '" + key + "' is required");
        }
        return v;
    }

    private Number toNumber(String key, Object v) {
        if (v instanceof Number n) {
            return n;
        }
        try {
            return Double.parseDouble(v.toString());
        } catch (NumberFormatException e) {
            throw invalid(key, v, "a number");
        }
    }

    private int toInt(String key, Object v) {
        Number n = toNumber(key, v);
        double d = n.doubleValue();
        if (d != Math.rint(d) || d > Integer.MAX_VALUE || d < Integer.MIN_VALUE) {
            throw invalid(key, v, "an integer");
        }
        return (int) d;
    }

    private List<?> toList(String key, Object v) {
        if (v instanceof List<?> l) {
            return l;
        }
        throw invalid(key, v, "a list");
    }

    private MoxieException invalid(String key, Object v, String expected) {
        return new MoxieException(source + ": setting '" + key + "' must be " + expected + ", got '" + v + "'");
    }

    @Override
    public String toString() {
        return source + values;
    }
}
