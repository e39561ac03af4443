package io.moxie.bench;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
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
     * Runs {@code command} and waits for it; a command still running after {@code timeout} is ended (with the
     * processes it started) and counts as failed.
     *
     * @throws UncheckedIOException if the command cannot be started or its output cannot be read
     */
    static Ended run(List<String> command, Duration timeout) {
        // the output goes to a file, not a pipe: reading a pipe to its end would wait for the command however long
        // it hangs, before the timeout could apply
        Path log;
        try {
            log = Files.createTempFile("moxie-bench-child", ".log");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a file for the output of " + String.join(" ", command), e);
        }
        try {
            Process p;
            try {
                p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
                        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
            }
            boolean ended;
            try {
                ended = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                end(p);
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while " + String.join(" ", command) + " ran", e);
            }
            if (!ended) {
                end(p);
            }
            // decoded leniently: a command ended in the middle of a character must still report its output
            return new Ended(new String(Files.readAllBytes(log), StandardCharsets.UTF_8), ended && p.exitValue() == 0);
        } catch (IOException e) {
            throw new UncheckedIOException("reading the output of " + String.join(" ", command), e);
        } finally {
            try {
                Files.deleteIfExists(log);
            } catch (IOException e) {
                // a temporary file left behind is harmless
            }
        }
    }

    /** Ends a command and what it started, and waits until it has ended. */
    private static void end(Process p) {
        // the command first, so that it starts nothing new while what it started is ended
        List<ProcessHandle> started = p.descendants().toList();
        p.destroyForcibly();
        started.forEach(ProcessHandle::destroyForcibly);
        try {
            p.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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
