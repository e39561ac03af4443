package io.moxie.cli;

import io.moxie.kernel.io.Npy;
import io.moxie.kernel.io.Npz;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns {@code --input} arguments into named tensors. Forms:
 * <ul>
 *   <li>{@code FILE.npz}: every array of the archive, under its own name;</li>
 *   <li>{@code NAME=FILE.npy}: one array;</li>
 *   <li>{@code NAME=FILE.npz}: the archive's array {@code NAME} (or its only array);</li>
 *   <li>{@code NAME=FILE.png|.jpg|.jpeg|.ply|...}: the file's bytes as a uint8 vector, decoded by the pipeline.</li>
 * </ul>
 */
final class InputFiles {
    private InputFiles() {
    }

    static Map<String, HostTensor> read(List<String> specs) {
        Map<String, HostTensor> out = new LinkedHashMap<>();
        for (String spec : specs) {
            int eq = spec.indexOf('=');
            String name = eq < 0 ? null : spec.substring(0, eq);
            Path file = Path.of(eq < 0 ? spec : spec.substring(eq + 1));
            if (name != null && name.isBlank()) {
                throw new ExitCodes.UsageException("--input " + spec + ": empty input name");
            }
            if (!Files.isRegularFile(file)) {
                throw new ExitCodes.UsageException("--input " + spec + ": no such file " + file);
            }
            String lower = file.getFileName().toString().toLowerCase(Locale.ROOT);
            if (lower.endsWith(".npz")) {
                Map<String, HostTensor> arrays = Npz.read(file);
                if (name == null) {
                    putAll(out, arrays, spec);
                } else if (arrays.containsKey(name)) {
                    put(out, name, arrays.get(name), spec);
                } else if (arrays.size() == 1) {
                    put(out, name, arrays.values().iterator().next(), spec);
                } else {
                    throw new ExitCodes.UsageException("--input " + spec + ": " + file + " has no array '" + name
                            + "' (arrays: " + arrays.keySet() + ")");
                }
            } else if (name == null) {
                throw new ExitCodes.UsageException("--input " + spec + ": use NAME=FILE (only an .npz file brings its own names)");
            } else if (lower.endsWith(".npy")) {
                put(out, name, Npy.read(file), spec);
            } else {
                try {
                    put(out, name, HostTensor.ofBytes(Files.readAllBytes(file)), spec);
                } catch (IOException e) {
                    throw new ExitCodes.UsageException("--input " + spec + ": cannot read " + file + ": " + e.getMessage());
                }
            }
        }
        return out;
    }

    private static void putAll(Map<String, HostTensor> out, Map<String, HostTensor> arrays, String spec) {
        arrays.forEach((k, v) -> put(out, k, v, spec));
    }

    private static void put(Map<String, HostTensor> out, String name, HostTensor t, String spec) {
        if (out.put(name, t) != null) {
            throw new ExitCodes.UsageException("--input " + spec + ": input '" + name + "' given twice");
        }
    }
}
