package io.moxie.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A reference's {@code bench} workloads in a Python child process ({@code bench/src/main/python/reference_peer.py} for
 * CuMo, {@code llm_reference_peer.py} for the decoder), called one iteration at a time so they are timed in the same
 * interleaved rounds as Moxie's candidates. The protocol: the peer prints {@code ready} once set up, then answers each
 * line it reads with one line. Owns the process; {@link #close()} ends it.
 */
final class ReferencePeer implements AutoCloseable {
    private static final Path SCRIPT = Path.of("bench/src/main/python/reference_peer.py");

    private final Process process;
    private final Writer in;
    private final BufferedReader out;

    ReferencePeer(String python, Path referenceDir) {
        this(List.of(python, SCRIPT.toString(), referenceDir.toString()));
    }

    /** Starts a peer script ({@code command}: interpreter, script, its arguments) that speaks the same protocol. */
    ReferencePeer(List<String> command) {
        try {
            process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String ready = out.readLine();
            if (!"ready".equals(ready)) {
                throw new IllegalStateException("reference peer did not start: " + ready);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
        }
    }

    /** Runs one call (a line such as {@code layer}, {@code connector} or {@code decode 32}) in the peer and waits for it. */
    void call(String workload) {
        try {
            in.write(workload + "\n");
            in.flush();
            String reply = out.readLine();
            if (reply == null) {
                throw new IllegalStateException("reference peer ended");
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        try {
            in.close();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroy();
            }
        } catch (IOException e) {
            process.destroy();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroy();
        }
    }
}
