package io.moxie.kernel.device;

import io.moxie.api.Config;
import io.moxie.api.MoxieException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Device settings from {@code conf/moxie.yaml}:
 *
 * <pre>
 * devices:
 *   reserve: 512MiB          # kept free on every device for activations and the runtime
 *   capacity:                # replaces the discovered capacity (how placement is tested without a GPU)
 *     cpu(): 8GiB
 *     gpu(0): 20GiB
 * </pre>
 *
 * @param capacities configured capacities by device name
 * @param reserveBytes bytes kept free on every device
 */
public record DeviceOptions(Map<String, Long> capacities, long reserveBytes) {
    /** Discovered capacities, 512 MiB reserve. */
    public static final DeviceOptions DEFAULTS = new DeviceOptions(Map.of(), 512L << 20);

    public DeviceOptions {
        capacities = Map.copyOf(capacities);
        if (reserveBytes < 0) {
            throw new IllegalArgumentException("devices.reserve must not be negative");
        }
    }

    /** Reads the {@code devices} section of a config file; defaults when the file or section is absent. */
    public static DeviceOptions read(Path file) {
        if (file == null || !Files.isRegularFile(file)) {
            return DEFAULTS;
        }
        Object root;
        try {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(Files.readString(file));
        } catch (IOException | YAMLException e) {
            throw new MoxieException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (!(root instanceof Map<?, ?> top) || !(top.get("devices") instanceof Map<?, ?> devices)) {
            return DEFAULTS;
        }
        long reserve = devices.get("reserve") == null ? DEFAULTS.reserveBytes()
                : parseSize(devices.get("reserve"), file + ": devices.reserve");
        Map<String, Long> caps = new LinkedHashMap<>();
        if (devices.get("capacity") instanceof Map<?, ?> c) {
            c.forEach((k, v) -> caps.put(String.valueOf(k), parseSize(v, file + ": devices.capacity." + k)));
        }
        return new DeviceOptions(caps, reserve);
    }

    /** Parses a size setting; see {@link Config#parseSize}. */
    public static long parseSize(Object value, String where) {
        return Config.parseSize(value, where);
    }

}
