package io.moxie.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

/** What a benchmark report must say about where and when it ran. */
final class Machine {
    private Machine() {
    }

    static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim() + ", "
                            + Runtime.getRuntime().availableProcessors() + " CPUs";
                }
            }
        } catch (IOException e) {
            // not Linux: fall through
        }
        return System.getProperty("os.arch") + ", " + Runtime.getRuntime().availableProcessors() + " CPUs";
    }

    /** Returns {@code /proc/loadavg}'s 1, 5 and 15 minute load averages. */
    static String load() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "?";
        }
    }

    static String now() {
        return ZonedDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm z"));
    }

    /** Returns {@code git rev-parse --short HEAD} of the working directory, or "?" (plus "+changes" if dirty). */
    static String commit() {
        String head = command("git", "rev-parse", "--short", "HEAD");
        if (head.isEmpty()) {
            return "?";
        }
        return command("git", "status", "--porcelain", "--untracked-files=no").isEmpty() ? head : head + " (+ local changes)";
    }

    /** Returns the OpenBLAS tuning variables that are set (they must not be, for a benchmark). */
    static String openBlasEnvironment() {
        StringBuilder sb = new StringBuilder();
        for (String v : new String[] {"OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"}) {
            String value = System.getenv(v);
            if (value != null) {
                sb.append(sb.length() == 0 ? "" : ", ").append(v).append('=').append(value);
            }
        }
        return sb.length() == 0 ? "none set" : sb.toString();
    }

    /** Returns the process's peak resident set ({@code VmHWM}) in MB, or -1 off Linux. */
    static double peakRssMb() {
        return statusMb("VmHWM:");
    }

    /**
     * Returns a field of {@code /proc/self/status} in MB ({@code RssAnon:} is memory the process allocated,
     * {@code RssFile:} file pages it maps, e.g. a memory-mapped checkpoint, which the kernel can drop), or -1.
     */
    static double statusMb(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
                }
            }
        } catch (IOException e) {
            // fall through
        }
        return -1;
    }

    /** Returns what a command printed, or "" if it failed: the report says "?" rather than stop. */
    private static String command(String... command) {
        try {
            ChildProcess.Ended ended = ChildProcess.run(List.of(command), Duration.ofSeconds(30));
            return ended.succeeded() ? ended.output().trim() : "";
        } catch (UncheckedIOException | IllegalStateException e) {
            return "";
        }
    }
}
