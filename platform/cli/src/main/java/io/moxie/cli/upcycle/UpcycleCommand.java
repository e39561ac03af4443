package io.moxie.cli.upcycle;

import io.moxie.api.ModelFormatException;
import io.moxie.kernel.io.SafetensorsFile;
import io.moxie.kernel.io.SafetensorsWriter;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code moxie upcycle}: co-upcycles a dense CuMo checkpoint into an E-expert one (README §6), byte-identical to the
 * reference's {@code cumo_reference.py upcycle} for the same arguments, plus the MoE {@code config.json} when the input
 * is a model directory.
 */
@Command(name = "upcycle", mixinStandardHelpOptions = true,
        description = {
            "Turn a dense CuMo checkpoint into an E-expert MoE checkpoint (co-upcycling): every expert a copy of the"
                + " dense MLP, every gate freshly drawn, everything else kept.",
            "The output is byte-identical to `cumo_reference.py upcycle --num-experts E --gate-init G --seed N` for"
                + " the same arguments. normal:STD follows torch's AVX2 randn kernel (torch's choice on any AVX2"
                + " CPU); a torch running its generic or AVX-512 kernels draws normal gates up to about 2e-6 x STD"
                + " apart (uniform and zeros are identical everywhere).",
            "Writes DIR/model.safetensors and, when --model is a directory with a config.json, DIR/config.json"
                + " updated for the MoE model."})
public final class UpcycleCommand implements Callable<Integer> {
    private static final String CHECKPOINT = "model.safetensors";
    private static final String CONFIG = "config.json";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--model", paramLabel = "DENSE", required = true,
            description = "Dense model directory (config.json + model.safetensors) or a .safetensors file; CuMo or"
                + " HF CLIPVisionModel (vision_model.*) key names.")
    Path model;

    @Option(names = "--experts", paramLabel = "E", required = true, description = "Number of experts per MoE block.")
    int experts;

    @Option(names = "--out", paramLabel = "DIR", required = true, description = "Output directory (created if needed).")
    Path out;

    @Option(names = "--gate-init", paramLabel = "INIT", defaultValue = "uniform",
            description = "uniform (nn.Linear's default, U(-1/sqrt(fan_in), 1/sqrt(fan_in))), normal:STD or zeros;"
                + " default: ${DEFAULT-VALUE}.")
    String gateInit;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "0",
            description = "Seed of the torch.Generator().manual_seed(N) the gates are drawn from (its low 32 bits"
                + " count); default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--top-k", paramLabel = "K",
            description = "num_experts_per_tok written to config.json; default: the dense config's value, else "
                + MoeConfig.DEFAULT_TOP_K + ".")
    Integer topK;

    @Override
    public Integer call() throws IOException {
        if (experts < 1) {
            throw usage("--experts must be at least 1, got " + experts);
        }
        GateInit init;
        try {
            init = GateInit.parse(gateInit);
        } catch (IllegalArgumentException e) {
            throw usage("--gate-init: " + e.getMessage());
        }
        Path checkpoint = checkpoint();
        Path denseConfig = Files.isDirectory(model) ? model.resolve(CONFIG) : null;
        // every check on the inputs before anything is created: a bad k or file leaves no half-made --out behind
        String moeConfig = denseConfig != null && Files.isRegularFile(denseConfig)
                ? MoeConfig.upcycled(denseConfig, experts, topK) : null;
        SafetensorsFile opened;
        try {
            opened = SafetensorsFile.open(checkpoint);
        } catch (ModelFormatException e) {
            // the file the caller named is unusable: their input, like a missing one
            throw usage("--model: " + e.getMessage());
        }
        try (SafetensorsFile dense = opened) {
            Map<String, HostTensor> tensors = Upcycler.upcycle(dense, experts, init, seed);
            prepareOut();
            SafetensorsWriter.write(out.resolve(CHECKPOINT), tensors, Map.of("format", "pt"));
            spec.commandLine().getOut().println("wrote " + out.resolve(CHECKPOINT) + ": " + tensors.size()
                    + " tensors, " + experts + " experts, gates " + init + " seed " + seed);
        }
        if (moeConfig != null) {
            Files.writeString(out.resolve(CONFIG), moeConfig, StandardCharsets.UTF_8);
            spec.commandLine().getOut().println("wrote " + out.resolve(CONFIG));
        }
        return 0;
    }

    /** The dense checkpoint file named by --model. */
    private Path checkpoint() {
        if (Files.isRegularFile(model)) {
            return model;
        }
        if (!Files.isDirectory(model)) {
            throw usage("--model " + model + ": no such file or directory");
        }
        Path file = model.resolve(CHECKPOINT);
        if (!Files.isRegularFile(file)) {
            boolean sharded = Files.isRegularFile(model.resolve(CHECKPOINT + ".index.json"));
            throw usage("--model " + model + ": no " + CHECKPOINT
                    + (sharded ? " (sharded checkpoints are not supported: merge the shards first)" : ""));
        }
        return file;
    }

    /** Creates --out, refusing to write over the dense input: the reference never replaces its input either. */
    private void prepareOut() throws IOException {
        if (Files.exists(out) && !Files.isDirectory(out)) {
            throw usage("--out " + out + ": exists and is not a directory");
        }
        if (Files.isDirectory(out)) {
            boolean sameDir = Files.isDirectory(model) && Files.isSameFile(out, model);
            Path target = out.resolve(CHECKPOINT);
            boolean sameFile = Files.isRegularFile(model) && Files.exists(target) && Files.isSameFile(target, model);
            if (sameDir || sameFile) {
                throw usage("--out " + out + " would overwrite the dense model; choose another directory");
            }
        }
        Files.createDirectories(out);
    }

    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }
}
