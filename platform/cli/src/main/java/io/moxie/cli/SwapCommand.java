package io.moxie.cli;

import io.moxie.gateway.proto.moxie.PipelineInfo;
import io.moxie.gateway.proto.moxie.StageInfo;
import io.moxie.gateway.proto.moxie.SwapStageRequest;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code moxie swap}: hot-swaps the router or expert bank implementation of one stage. The new version is built
 * and warmed up beside the old one, which serves until the switch; no request fails.
 */
@Command(name = "swap", mixinStandardHelpOptions = true,
        description = "Swap the router (--router, or --impl) and/or expert bank (--experts) of a pipeline stage.")
final class SwapCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    RemoteOptions remote;

    @Option(names = "--pipeline", required = true, paramLabel = "NAME", description = "The pipeline.")
    String pipeline;

    @Option(names = "--stage", required = true, paramLabel = "NAME", description = "The stage whose MoE layers change.")
    String stage;

    @Option(names = {"--router", "--impl"}, paramLabel = "NAME", description = "New router implementation (e.g. topk, instance).")
    String router;

    @Option(names = "--experts", paramLabel = "NAME", description = "New expert bank implementation (e.g. mlp, grouped-mlp).")
    String experts;

    @Override
    public Integer call() {
        if (router == null && experts == null) {
            throw new ExitCodes.UsageException("name what to swap to: --router NAME (or --impl NAME) and/or --experts NAME");
        }
        SwapStageRequest.Builder req = SwapStageRequest.newBuilder().setPipeline(pipeline).setStage(stage);
        if (router != null) {
            req.setRouter(router);
        }
        if (experts != null) {
            req.setExperts(experts);
        }
        try (Remote server = remote.connect()) {
            PipelineInfo p = server.call(() -> server.moxie().swapStage(req.build()));
            StageInfo s = p.getStagesList().stream().filter(x -> x.getName().equals(stage)).findFirst()
                    .orElse(StageInfo.getDefaultInstance());
            spec.commandLine().getOut().println(p.getName() + " version " + p.getVersion() + ": stage " + stage
                    + " router " + s.getRouter() + ", experts " + s.getExperts());
            spec.commandLine().getOut().flush();
        }
        return ExitCodes.OK;
    }
}
