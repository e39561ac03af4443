package io.moxie.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A command run to its end as a child of this process: with this process's environment (so the benchmark command
 * line's {@code env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE} applies to the references too), its output and errors
 * read as one text.
 */
final class ChildProcess {
    private ChildProcess() {
    }

    /** What the command printed, and whether it ended within its time with exit code 0. */
    record Ended(String output, boolean succeeded) {
    }

    /**
     * Runs {@code command} and waits for it; a command still running after {@code timeout} is ended and counts as
     * failed.
     *
     * @throws UncheckedIOException if the command cannot be started
     */
    static Ended run(List<String> command, Duration timeout) {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
        }
        try {
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return new Ended(output, false);
            }
            return new Ended(output, p.exitValue() == 0);
        } catch (IOException e) {
            p.destroyForcibly();
            throw new UncheckedIOException("reading the output of " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + String.join(" ", command) + " ran", e);
        }
    }

    /** Returns the output of a command that must succeed. */
    static String output(List<String> command, Duration timeout) {
        Ended ended = run(command, timeout);
        if (!ended.succeeded()) {
            throw new IllegalStateException("failed: " + String.join(" ", command) + "\n" + ended.output());
        }
        return ended.output();
    }
}
