package io.moxie.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChildProcessTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    @Test
    void readsOutputAndErrorsTogether() {
        ChildProcess.Ended ended = ChildProcess.run(List.of("sh", "-c", "echo out; echo err >&2"), TIMEOUT);
        assertTrue(ended.succeeded());
        assertEquals(List.of("out", "err"), ended.output().lines().toList());
    }

    @Test
    void aNonZeroExitIsAFailureWithItsOutput() {
        ChildProcess.Ended ended = ChildProcess.run(List.of("sh", "-c", "echo why; exit 3"), TIMEOUT);
        assertFalse(ended.succeeded());
        assertEquals("why\n", ended.output());
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ChildProcess.output(List.of("sh", "-c", "echo why; exit 3"), TIMEOUT));
        assertTrue(e.getMessage().contains("why"), e.getMessage());
    }

    @Test
    void aCommandStillRunningAtItsTimeoutIsEndedAndFails() {
        long start = System.nanoTime();
        ChildProcess.Ended ended = ChildProcess.run(List.of("sh", "-c", "echo started; sleep 60"),
                Duration.ofMillis(300));
        assertFalse(ended.succeeded());
        assertEquals("started\n", ended.output());
        // not a timing assertion on the command: only that the run did not wait for the sleep to finish
        assertTrue(System.nanoTime() - start < Duration.ofSeconds(50).toNanos());
    }

    @Test
    void outputThatIsNotUtf8IsStillReported() {
        ChildProcess.Ended ended = ChildProcess.run(List.of("sh", "-c", "printf 'caf\\351'; exit 2"), TIMEOUT);
        assertFalse(ended.succeeded());
        assertTrue(ended.output().startsWith("caf"), ended.output());
    }

    @Test
    void aCommandThatCannotStartSaysWhich() {
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> ChildProcess.run(List.of("/nonexistent/moxie-bench-command"), TIMEOUT));
        assertTrue(e.getMessage().contains("/nonexistent/moxie-bench-command"), e.getMessage());
    }
}
