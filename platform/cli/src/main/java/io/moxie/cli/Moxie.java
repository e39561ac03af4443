package io.moxie.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Properties;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code moxie} command: serve, run and manage Mixture-of-Experts pipelines. */
@Command(name = "moxie", mixinStandardHelpOptions = true, versionProvider = Moxie.Version.class,
        description = "Serve multimodal Mixture-of-Experts models with hot-swappable routers and experts.",
        subcommands = {ServeCommand.class, InferCommand.class, PipelinesCommand.class, PluginsCommand.class,
            SwapCommand.class, HealthCommand.class, DevicesCommand.class, BenchCommand.class, io.moxie.cli.upcycle.UpcycleCommand.class,
            CommandLine.HelpCommand.class})
public final class Moxie implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command (try 'moxie --help')");
    }

    /** Entry point of {@code bin/moxie}. */
    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given writers; returns the exit code (0 ok, 1 failure, 2 bad usage or input). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new Moxie());
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("moxie: " + ex.getMessage());
            return ExitCodes.USAGE;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            err.println("moxie: " + ExitCodes.message(ex));
            return ExitCodes.of(ex);
        });
        return cl.execute(args);
    }

    /** Reads the version the build stamped into the jar. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Moxie.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"moxie " + p.getProperty("version", "unknown") + " (Java "
                    + System.getProperty("java.version") + ")"};
        }
    }
}
