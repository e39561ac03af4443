package io.moxie.cli;

import io.vertx.grpc.health.v1.HealthCheckResponse;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code moxie health}: asks {@code grpc.health.v1.Health} about the server and, optionally, pipelines. */
@Command(name = "health", mixinStandardHelpOptions = true,
        description = "Check that a server (and optionally some pipelines) is serving; exit 1 if not.")
final class HealthCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    RemoteOptions remote;

    @Option(names = "--pipeline", paramLabel = "NAME", description = "Also check this pipeline (repeatable).")
    List<String> pipelines = new ArrayList<>();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        boolean all = true;
        try (Remote server = remote.connect()) {
            List<String> services = new ArrayList<>();
            services.add("");
            services.addAll(pipelines);
            for (String s : services) {
                HealthCheckResponse.ServingStatus status = server.health(s);
                all &= status == HealthCheckResponse.ServingStatus.SERVING;
                out.println((s.isEmpty() ? "server " + remote.target : s) + ": " + status);
            }
        }
        out.flush();
        return all ? ExitCodes.OK : ExitCodes.FAILURE;
    }
}
