package io.moxie.cli;

import io.moxie.gateway.proto.moxie.ApplyPipelineRequest;
import io.moxie.gateway.proto.moxie.DeletePipelineRequest;
import io.moxie.gateway.proto.moxie.DescribePipelineRequest;
import io.moxie.gateway.proto.moxie.ListPipelinesRequest;
import io.moxie.gateway.proto.moxie.PipelineInfo;
import io.moxie.gateway.proto.moxie.StageInfo;
import io.moxie.gateway.proto.moxie.TensorInfo;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code moxie pipelines list|show|apply|delete}: the pipelines of a running server. */
@Command(name = "pipelines", mixinStandardHelpOptions = true,
        description = "List, show, apply or delete pipelines on a server.")
final class PipelinesCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: list, show, apply or delete");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List pipelines, their state and version.")
    int list(@Mixin RemoteOptions remote) {
        try (Remote server = remote.connect()) {
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%-28s %-12s %-8s %s%n", "PIPELINE", "STATE", "VERSION", "STAGES");
            for (PipelineInfo p : server.call(() -> server.moxie().listPipelines(ListPipelinesRequest.getDefaultInstance()))
                    .getPipelinesList()) {
                out.printf("%-28s %-12s %-8d %s%n", p.getName(), p.getState(), p.getVersion(),
                        String.join(", ", p.getStagesList().stream().map(StageInfo::getName).toList()));
            }
            out.flush();
        }
        return ExitCodes.OK;
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Show a pipeline: per stage its implementations and providers, inputs, outputs, definition.")
    int show(@Mixin RemoteOptions remote, @Parameters(paramLabel = "NAME") String name) {
        try (Remote server = remote.connect()) {
            PipelineInfo p = server.call(() -> server.moxie().describePipeline(
                    DescribePipelineRequest.newBuilder().setName(name).build()));
            PrintWriter out = spec.commandLine().getOut();
            out.println(p.getName() + ": " + p.getState() + ", version " + p.getVersion()
                    + (p.getPersisted() ? ", persisted" : ""));
            if (!p.getDescription().isEmpty()) {
                out.println("  " + p.getDescription());
            }
            if (!p.getLastError().isEmpty()) {
                out.println("  last error: " + p.getLastError());
            }
            for (TensorInfo in : p.getInputsList()) {
                out.println("  input  " + in.getName() + " " + in.getDatatype() + in.getShapeList()
                        + (in.getOptional() ? " (optional)" : ""));
            }
            for (String o : p.getOutputsList()) {
                out.println("  output " + o);
            }
            for (StageInfo s : p.getStagesList()) {
                out.println("  stage  " + s.getName() + ": " + (s.getKindProvider().isEmpty() ? s.getKind() : s.getKindProvider()));
                if (!s.getRouter().isEmpty() || s.getRouterPreferenceCount() > 0) {
                    out.println("         router  "
                            + implementation(s.getRouter(), s.getRouterProvider(), s.getRouterPreferenceList()));
                }
                if (!s.getExperts().isEmpty() || s.getExpertsPreferenceCount() > 0) {
                    out.println("         experts "
                            + implementation(s.getExperts(), s.getExpertsProvider(), s.getExpertsPreferenceList()));
                }
                if (!s.getConfigMap().isEmpty()) {
                    out.println("         config  " + s.getConfigMap());
                }
            }
            out.flush();
        }
        return ExitCodes.OK;
    }

    /**
     * The implementation a stage runs (its provider), and the preference list it was chosen from when the definition
     * lists several; what the definition names when nothing serves.
     */
    private static String implementation(String chosen, String provider, List<String> preference) {
        if (provider.isEmpty()) {
            return chosen.isEmpty() ? String.join(", ", preference) : chosen;
        }
        return preference.size() > 1 ? provider + ", chosen from " + preference : provider;
    }

    @Command(name = "apply", mixinStandardHelpOptions = true,
            description = "Deploy a pipeline definition (YAML) and persist it on the server; hot-swaps one of the same name.")
    int apply(@Mixin RemoteOptions remote, @Parameters(paramLabel = "FILE.yaml") Path file) {
        String yaml;
        try {
            yaml = Files.readString(file);
        } catch (IOException e) {
            throw new ExitCodes.UsageException("cannot read " + file + ": " + e.getMessage());
        }
        try (Remote server = remote.connect()) {
            PipelineInfo p = server.call(() -> server.moxie().applyPipeline(ApplyPipelineRequest.newBuilder().setYaml(yaml).build()));
            spec.commandLine().getOut().println("applied " + p.getName() + ": " + p.getState() + ", version " + p.getVersion());
            spec.commandLine().getOut().flush();
        }
        return ExitCodes.OK;
    }

    @Command(name = "delete", mixinStandardHelpOptions = true, description = "Remove a pipeline and its persisted definition.")
    int delete(@Mixin RemoteOptions remote, @Parameters(paramLabel = "NAME") String name) {
        try (Remote server = remote.connect()) {
            server.call(() -> server.moxie().deletePipeline(DeletePipelineRequest.newBuilder().setName(name).build()));
            spec.commandLine().getOut().println("deleted " + name);
            spec.commandLine().getOut().flush();
        }
        return ExitCodes.OK;
    }
}
