package io.moxie.kernel.device;

import io.moxie.api.Config;
import io.moxie.api.MoxieException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
 *   simulated:               # a testing aid: extra devices with their own capacity, computing on the host CPU
 *     sim(0): 1GiB
 *     sim(1): 1GiB
 * </pre>
 *
 * <p>Simulated devices exist because DJL cannot name a second CPU device ({@code Device.of("cpu", 1)} is
 * {@code cpu()}): without them, placement over several devices (pinning, spreading experts) could not be exercised on
 * a machine without GPUs. They are accounted exactly like a GPU (leases, refusals, {@code moxie devices}, metrics)
 * but their tensors live in host memory.
 *
 * @param capacities configured capacities by device name
 * @param reserveBytes bytes kept free on every device
 * @param simulated capacities of the simulated devices by name ({@code sim(0)}, {@code sim(1)}, ...), in order
 */
public record DeviceOptions(Map<String, Long> capacities, long reserveBytes, Map<String, Long> simulated) {
    /** Discovered capacities, 512 MiB reserve, no simulated devices. */
    public static final DeviceOptions DEFAULTS = new DeviceOptions(Map.of(), 512L << 20);

    private static final Pattern SIMULATED_NAME = Pattern.compile("sim\\((\\d+)\\)");

    public DeviceOptions {
        capacities = Map.copyOf(capacities);
        if (reserveBytes < 0) {
            throw new IllegalArgumentException("devices.reserve must not be negative");
        }
        simulated = Collections.unmodifiableMap(new LinkedHashMap<>(simulated));
        simulated.forEach((name, bytes) -> {
            if (!SIMULATED_NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("devices.simulated: '" + name + "' is not a simulated device name"
                        + " (sim(0), sim(1), ...)");
            }
            if (bytes < 0) {
                throw new IllegalArgumentException("devices.simulated." + name + " must not be negative");
            }
        });
    }

    /** Options without simulated devices. */
    public DeviceOptions(Map<String, Long> capacities, long reserveBytes) {
        this(capacities, reserveBytes, Map.of());
    }

    /** Returns the DJL device a simulated device name stands for in the accounts ({@code sim(1)}: type sim, id 1). */
    static ai.djl.Device simulatedDevice(String name) {
        Matcher m = SIMULATED_NAME.matcher(name);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + name + "' is not a simulated device name (sim(0), sim(1), ...)");
        }
        return ai.djl.Device.of("sim", Integer.parseInt(m.group(1)));
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
        Map<String, Long> simulated = new LinkedHashMap<>();
        if (devices.get("simulated") instanceof Map<?, ?> sim) {
            sim.forEach((k, v) -> simulated.put(String.valueOf(k), parseSize(v, file + ": devices.simulated." + k)));
        } else if (devices.get("simulated") != null) {
            throw new MoxieException(file + ": devices.simulated must map device names to capacities, e.g. "
                    + "{sim(0): 1GiB, sim(1): 1GiB}");
        }
        try {
            return new DeviceOptions(caps, reserve, simulated);
        } catch (IllegalArgumentException e) {
            throw new MoxieException(file + ": " + e.getMessage(), e);
        }
    }

    /** Parses a size setting; see {@link Config#parseSize}. */
    public static long parseSize(Object value, String where) {
        return Config.parseSize(value, where);
    }

}
