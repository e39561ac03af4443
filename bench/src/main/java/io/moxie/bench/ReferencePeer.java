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
 * interleaved rounds as Moxie's candidates, with as many torch intra-op threads as asked. The protocol: the peer
 * prints {@code ready N} (N: its torch threads) once set up, then answers each line it reads with one line. Owns the
 * process; {@link #close()} ends it.
 */
final class ReferencePeer implements AutoCloseable {
    private static final Path SCRIPT = Path.of("bench/src/main/python/reference_peer.py");

    private final Process process;
    private final Writer in;
    private final BufferedReader out;
    private final int threads;

    /** @param threads torch intra-op threads for the peer (0: torch's default) */
    ReferencePeer(String python, Path referenceDir, int threads) {
        this(List.of(python, SCRIPT.toString(), referenceDir.toString(), Integer.toString(threads)));
    }

    /** Starts a peer script ({@code command}: interpreter, script, its arguments) that speaks the same protocol. */
    ReferencePeer(List<String> command) {
        try {
            process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String ready = out.readLine();
            if (ready == null || !ready.startsWith("ready ")) {
                process.destroy();
                throw new IllegalStateException("reference peer did not start: " + ready);
            }
            this.threads = Integer.parseInt(ready.substring("ready ".length()).trim());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + String.join(" ", command), e);
        }
    }

    /** Returns the torch intra-op threads the peer runs with. */
    int threads() {
        return threads;
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
