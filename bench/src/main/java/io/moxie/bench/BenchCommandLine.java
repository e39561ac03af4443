package io.moxie.bench;

import java.io.PrintWriter;
import picocli.CommandLine;

/**
 * How every benchmark reads its command line: picocli fills an options object ({@code @Command} with
 * {@code @Option}s); {@code --help} prints them; a bad command line is reported in one line and exits with 2, as
 * {@code moxie} does; otherwise the benchmark runs.
 */
final class BenchCommandLine {
    /** The exit code of a bad command line. */
    static final int USAGE = 2;

    private BenchCommandLine() {
    }

    /**
     * Runs {@code bench} unless the command line asks for help or is wrong; returns the exit code. The benchmark's
     * own failures are no usage errors: they propagate, with their stack trace.
     */
    static int execute(Object options, Runnable bench, String... args) {
        return execute(options, bench, new PrintWriter(System.out, true), new PrintWriter(System.err, true), args);
    }

    static int execute(Object options, Runnable bench, PrintWriter out, PrintWriter err, String... args) {
        CommandLine commandLine = new CommandLine(options);
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setParameterExceptionHandler((e, a) -> {
            err.println(commandLine.getCommandName() + ": " + e.getMessage() + " (see --help)");
            return USAGE;
        });
        commandLine.setExecutionStrategy(parsed -> {
            Integer help = CommandLine.executeHelpRequest(parsed);
            if (help != null) {
                return help;
            }
            bench.run();
            return 0;
        });
        return commandLine.execute(args);
    }
}
