package io.moxie.cli;

import io.moxie.gateway.client.V2Tensors;
import io.moxie.gateway.impl.TensorTypes;
import io.moxie.gateway.proto.inference.ModelInferResponse;
import io.moxie.kernel.Kernel;
import io.moxie.kernel.KernelOptions;
import io.moxie.kernel.io.Npz;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.pipeline.InferenceResult;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code moxie infer}: runs one request through a pipeline and writes its outputs to an {@code .npz} file, either in
 * this process ({@code --local --model DIR}) or on a server ({@code --target HOST:PORT --pipeline NAME}, over the
 * Open Inference Protocol). Both write the same file for the same request: the tensors cross the wire as raw
 * little-endian bytes, untouched.
 */
@Command(name = "infer", mixinStandardHelpOptions = true,
        description = "Run one request and write the outputs to an .npz file.")
final class InferCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--local", description = "Run in this process (no server needed).")
    boolean local;

    @Mixin
    RemoteOptions remote;

    @Option(names = "--pipeline", paramLabel = "NAME", description = "The pipeline (model) to call on the server.")
    String pipeline;

    @Option(names = "--model", paramLabel = "DIR",
            description = "Model directory (config.json + *.safetensors), run with its model_type's default pipeline.")
    Path model;

    @Option(names = "--input", paramLabel = "NAME=FILE", required = true,
            description = "An input: FILE.npz (all its arrays), NAME=FILE.npy, or NAME=FILE (an image or other encoded file).")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--output", paramLabel = "OUT.npz", required = true, description = "Where to write the outputs.")
    Path output;

    @Option(names = "--trace", description = "Also write which experts each MoE layer chose (keys routing/<layer>/...).")
    boolean trace;

    @Override
    public Integer call() throws Exception {
        if (!local) {
            return callServer();
        }
        if (pipeline != null) {
            throw new ExitCodes.UsageException("--pipeline names a pipeline on a server; with --local give --model DIR");
        }
        if (model == null) {
            throw new ExitCodes.UsageException("--local needs --model DIR");
        }
        if (!Files.isRegularFile(model.resolve("config.json"))) {
            throw new ExitCodes.UsageException("--model " + model + ": not a model directory (no config.json)");
        }
        Map<String, HostTensor> tensors = InputFiles.read(inputs);
        KernelOptions options = KernelOptions.ofHome(MoxieHome.find()).withPluginsDir(null).withoutStartupDeployments();
        try (Kernel kernel = Kernel.start(options)) {
            String pipeline = kernel.deployModelDirectory(model);
            InferenceResult result = kernel.engine().infer(pipeline, new InferenceRequest(tensors, Map.of(), trace));
            Map<String, HostTensor> out = new LinkedHashMap<>(result.outputs());
            result.routing().forEach((k, v) -> out.put("routing/" + k, v));
            write(out);
        }
        return ExitCodes.OK;
    }

    private int callServer() throws IOException {
        if (pipeline == null) {
            throw new ExitCodes.UsageException("give --pipeline NAME (with --target HOST:PORT), or --local --model DIR");
        }
        if (model != null) {
            throw new ExitCodes.UsageException("--model runs a model directory in process: add --local");
        }
        Map<String, HostTensor> tensors = InputFiles.read(inputs);
        try (Remote server = remote.connect()) {
            ModelInferResponse response = server.call(() ->
                    server.kserve().modelInfer(V2Tensors.request(pipeline, tensors, trace)));
            // trace outputs already carry the routing/<layer>/... names --local writes
            write(V2Tensors.outputs(response));
        }
        return ExitCodes.OK;
    }

    /**
     * Writes the outputs to {@code --output} and says on stderr what the file holds (stdout stays free for scripts):
     * a line, then one per array.
     */
    private void write(Map<String, HostTensor> out) throws IOException {
        Npz.write(output, out);
        PrintWriter err = spec.commandLine().getErr();
        err.println("moxie: wrote " + output + " (" + out.size() + (out.size() == 1 ? " array)" : " arrays)"));
        int width = out.keySet().stream().mapToInt(String::length).max().orElse(0);
        out.forEach((name, t) -> err.printf("  %-" + width + "s  %s%s%n", name, TensorTypes.toWire(t.dataType()),
                Arrays.toString(t.shape())));
        err.flush();
    }
}
