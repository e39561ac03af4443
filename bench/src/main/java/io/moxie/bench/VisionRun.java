package io.moxie.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import io.moxie.encoders.clip.ClipMoeStageFactory;
import io.moxie.encoders.connector.MlpMoeConnectorStageFactory;
import io.moxie.encoders.preprocess.ClipPreprocessStageFactory;
import io.moxie.encoders.s2.S2MergeStageFactory;
import io.moxie.encoders.s2.S2SplitStageFactory;
import io.moxie.experts.GroupedMlpExpertBankFactory;
import io.moxie.experts.MlpExpertBankFactory;
import io.moxie.experts.blas.BlasMlpExpertBankFactory;
import io.moxie.kernel.io.Npz;
import io.moxie.kernel.model.ModelRepository;
import io.moxie.kernel.pipeline.EngineOptions;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.pipeline.PipelineDefinition;
import io.moxie.kernel.pipeline.PipelineEngine;
import io.moxie.kernel.pipeline.PipelineYaml;
import io.moxie.kernel.pipeline.StageDefinition;
import io.moxie.kernel.registry.ComponentKind;
import io.moxie.kernel.registry.ComponentRegistry;
import io.moxie.kernel.tensor.HostTensor;
import io.moxie.routers.TopKRouterFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * One process of the whole-pipeline benchmark: the shipped {@code cumo-vision} pipeline (the distribution's model-type
 * template, every MoE stage on one expert bank) on a model directory, through a real {@link PipelineEngine} with the
 * built-in plugins registered in process, on an encoded image, {@code N} times. Prints one JSON line (load seconds,
 * seconds per run, peak resident memory) and writes the last run's outputs. A process per bank, so each peak is its
 * own.
 *
 * <p>Arguments: {@code MODEL_DIR BANK IMAGE_FILE RUNS TEMPLATE_YAML OUT_NPZ} ({@link VisionBench} starts it).
 */
public final class VisionRun {
    private final Arguments arguments;

    private VisionRun(Arguments arguments) {
        this.arguments = arguments;
    }

    public static void main(String[] args) {
        Arguments arguments = new Arguments();
        System.exit(BenchCommandLine.execute(arguments, () -> {
            try {
                new VisionRun(arguments).run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, args));
    }

    private void run() throws IOException {
        Path model = arguments.model;
        String bank = arguments.bank;
        byte[] image = Files.readAllBytes(arguments.image);
        int runs = arguments.runs;
        Path template = arguments.template;
        Path output = arguments.output;
        Engine.getInstance(); // DJL first, from the main thread (platform-facts §2)

        ComponentRegistry registry = new ComponentRegistry();
        registry.register(ComponentKind.STAGE, new ClipPreprocessStageFactory(), "encoders-plugin");
        registry.register(ComponentKind.STAGE, new S2SplitStageFactory(), "encoders-plugin");
        registry.register(ComponentKind.STAGE, new ClipMoeStageFactory(), "encoders-plugin");
        registry.register(ComponentKind.STAGE, new S2MergeStageFactory(), "encoders-plugin");
        registry.register(ComponentKind.STAGE, new MlpMoeConnectorStageFactory(), "encoders-plugin");
        registry.register(ComponentKind.ROUTER, new TopKRouterFactory(), "router-plugin");
        registry.register(ComponentKind.EXPERTS, new MlpExpertBankFactory(), "experts-plugin");
        registry.register(ComponentKind.EXPERTS, new GroupedMlpExpertBankFactory(), "experts-plugin");
        registry.register(ComponentKind.EXPERTS, new BlasMlpExpertBankFactory(), "experts-plugin");
        Path scratch = Files.createTempDirectory("moxie-bench-repo-");
        try (ModelRepository repository = new ModelRepository(scratch);
             PipelineEngine engine = new PipelineEngine(registry, ref -> repository.openDirectory(Path.of(ref)),
                     Device.cpu(), EngineOptions.DEFAULTS)) {
            PipelineDefinition definition = new PipelineYaml().parse(Files.readString(template), template.toString(),
                    Map.of("pipeline", "bench", "model", model.toAbsolutePath().toString()));
            for (StageDefinition s : definition.stages()) {
                if (!s.experts().isEmpty()) {
                    definition = definition.withStage(s.withExperts(bank));
                }
            }
            long start = System.nanoTime();
            engine.deploy(definition).join();
            double load = (System.nanoTime() - start) / 1e9;
            List<Double> seconds = new ArrayList<>();
            Map<String, HostTensor> outputs = null;
            for (int i = 0; i < runs; i++) {
                start = System.nanoTime();
                outputs = engine.infer("bench", InferenceRequest.of(Map.of("image", HostTensor.ofBytes(image)))).outputs();
                seconds.add((System.nanoTime() - start) / 1e9);
            }
            Npz.write(output, outputs);
            System.out.println(String.format(Locale.ROOT, "{\"load_s\": %.3f, \"runs_s\": %s, \"peak_rss_mb\": %.0f, "
                    + "\"rss_anon_mb\": %.0f, \"rss_file_mb\": %.0f}", load,
                    seconds.stream().map(s -> String.format(Locale.ROOT, "%.3f", s)).toList(), Machine.peakRssMb(),
                    Machine.statusMb("RssAnon:"), Machine.statusMb("RssFile:")));
        }
    }

    /** The command line, all positional. */
    @Command(name = "VisionRun", description = "One process of CumoBench's (c): the cumo-vision pipeline on one "
            + "expert bank; prints one JSON line and writes the last run's outputs.")
    static final class Arguments {
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "Print these arguments and exit.")
        boolean help;
        @Parameters(index = "0", paramLabel = "MODEL_DIR", description = "The CuMo model directory.")
        Path model;
        @Parameters(index = "1", paramLabel = "BANK", description = "The expert bank of every MoE stage.")
        String bank;
        @Parameters(index = "2", paramLabel = "IMAGE_FILE", description = "The encoded image.")
        Path image;
        @Parameters(index = "3", paramLabel = "RUNS", description = "Runs after loading.")
        int runs;
        @Parameters(index = "4", paramLabel = "TEMPLATE_YAML", description = "The cumo-vision model-type template.")
        Path template;
        @Parameters(index = "5", paramLabel = "OUT_NPZ", description = "Where the last run's outputs go.")
        Path output;
    }
}
