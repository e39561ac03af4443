package io.moxie.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The benchmarks' command lines: the documented defaults (docs/PERFORMANCE.md), every option read, {@code --help},
 * and a bad option reported in one line with exit code 2. Nothing here runs a benchmark.
 */
class BenchCommandLineTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private boolean ran;

    private int execute(Object options, String... args) {
        return BenchCommandLine.execute(options, () -> ran = true, new PrintWriter(out, true),
                new PrintWriter(err, true), args);
    }

    private void assertRan(Object options, String... args) {
        assertEquals(0, execute(options, args), err.toString());
        assertTrue(ran);
    }

    private void assertBadUsage(Object options, String name, String... args) {
        assertEquals(BenchCommandLine.USAGE, execute(options, args));
        assertFalse(ran);
        String message = err.toString();
        assertEquals(1, message.lines().count(), message);
        assertTrue(message.startsWith(name + ": "), message);
    }

    private void assertHelp(Object options, String... expectedOptions) {
        assertEquals(0, execute(options, "--help"));
        assertFalse(ran);
        for (String option : expectedOptions) {
            assertTrue(out.toString().contains(option), option + " missing in\n" + out);
        }
    }

    @Test
    void cumoBenchDefaults() {
        CumoBench.Options o = new CumoBench.Options();
        assertRan(o);
        assertEquals(15, o.iters);
        assertEquals(3, o.warmup);
        assertEquals(10, o.referenceIters);
        assertEquals(Runtime.getRuntime().availableProcessors(), o.referenceThreads);
        assertTrue(o.reference());
        assertFalse(o.noReferenceBench);
        assertEquals("/usr/bin/python3", o.python);
        assertEquals(Path.of("../shared/reference/cumo_reference.py"), o.referenceScript);
        assertEquals(List.of("layer", "connector"), o.parts);
        assertEquals(2, o.visionImages);
        assertEquals(2, o.visionRounds);
        assertEquals(Path.of("/tmp/moxie-bench/clip-l-s2"), o.visionDir);
        assertEquals(List.of("grouped-mlp-blas", "grouped-mlp"), o.visionBanks);
        assertEquals(Path.of("dist/src/main/dist/conf/model-types/cumo-vision.yaml"), o.pipelineTemplate);
        assertNull(o.report);
    }

    @Test
    void cumoBenchOptions() {
        CumoBench.Options o = new CumoBench.Options();
        assertRan(o, "--iters", "1", "--warmup", "0", "--reference-iters", "2", "--reference-threads", "0",
                "--no-reference", "--no-reference-bench", "--python", "python3", "--reference", "r.py",
                "--parts", "breakdown,vision", "--vision-images", "1", "--vision-rounds", "3", "--vision-dir", "v",
                "--vision-banks", "grouped-mlp", "--pipeline-template", "t.yaml", "--report", "out.md");
        assertEquals(1, o.iters);
        assertEquals(0, o.warmup);
        assertEquals(2, o.referenceIters);
        assertEquals(0, o.referenceThreads);
        assertFalse(o.reference());
        assertTrue(o.noReferenceBench);
        assertEquals("python3", o.python);
        assertEquals(Path.of("r.py"), o.referenceScript);
        assertEquals(List.of("breakdown", "vision"), o.parts);
        assertEquals(1, o.visionImages);
        assertEquals(3, o.visionRounds);
        assertEquals(Path.of("v"), o.visionDir);
        assertEquals(List.of("grouped-mlp"), o.visionBanks);
        assertEquals(Path.of("t.yaml"), o.pipelineTemplate);
        assertEquals(Path.of("out.md"), o.report);
    }

    @Test
    void cumoBenchBadOption() {
        assertBadUsage(new CumoBench.Options(), "CumoBench", "--itres", "3");
    }

    @Test
    void cumoBenchBadNumber() {
        assertBadUsage(new CumoBench.Options(), "CumoBench", "--iters", "many");
    }

    @Test
    void cumoBenchHelp() {
        assertHelp(new CumoBench.Options(), "--parts", "--reference-threads", "--no-reference-bench", "--report");
    }

    @Test
    void llmBenchDefaults() {
        LlmBench.Options o = new LlmBench.Options();
        assertRan(o);
        assertEquals(10, o.iters);
        assertEquals(2, o.warmup);
        assertEquals(3, o.decodeIters);
        assertEquals(0, o.threads);
        assertFalse(o.noReferenceBench);
        assertFalse(o.referenceQuick);
        assertEquals("/usr/bin/python3", o.python);
        assertEquals(Path.of("../shared/reference/llm_reference.py"), o.referenceScript);
        assertEquals(Path.of("/tmp/moxie-bench/llm"), o.dataDir);
        assertEquals(Path.of("dist/src/main/dist/conf/model-types"), o.modelTypes);
        assertEquals(List.of("moe", "lora", "decode"), o.parts);
        assertEquals(List.of(32, 128, 512), o.decodeLengths);
        assertNull(o.report);
    }

    @Test
    void llmBenchOptions() {
        LlmBench.Options o = new LlmBench.Options();
        assertRan(o, "--iters", "1", "--warmup", "0", "--decode-iters", "1", "--threads", "1", "--no-reference-bench",
                "--reference-quick", "--python", "python3", "--reference", "r.py", "--data-dir", "d",
                "--model-types", "m", "--parts", "moe", "--decode-lengths", "8,16", "--report", "out.md");
        assertEquals(1, o.iters);
        assertEquals(0, o.warmup);
        assertEquals(1, o.decodeIters);
        assertEquals(1, o.threads);
        assertTrue(o.noReferenceBench);
        assertTrue(o.referenceQuick);
        assertEquals("python3", o.python);
        assertEquals(Path.of("r.py"), o.referenceScript);
        assertEquals(Path.of("d"), o.dataDir);
        assertEquals(Path.of("m"), o.modelTypes);
        assertEquals(List.of("moe"), o.parts);
        assertEquals(List.of(8, 16), o.decodeLengths);
        assertEquals(Path.of("out.md"), o.report);
    }

    @Test
    void llmBenchBadOption() {
        assertBadUsage(new LlmBench.Options(), "LlmBench", "--no-reference");
    }

    @Test
    void llmBenchHelp() {
        assertHelp(new LlmBench.Options(), "--decode-lengths", "--threads", "--reference-quick", "--report");
    }

    @Test
    void offloadBenchDefaults() {
        OffloadBench.Options o = new OffloadBench.Options();
        assertRan(o);
        assertEquals(-1, o.iters);
        assertEquals(-1, o.warmup);
        assertEquals(List.of("vision", "decode"), o.workloads);
        assertNull(o.report);
    }

    @Test
    void offloadBenchOptions() {
        OffloadBench.Options o = new OffloadBench.Options();
        assertRan(o, "--iters", "4", "--warmup", "1", "--workloads", "decode", "--report", "out.md");
        assertEquals(4, o.iters);
        assertEquals(1, o.warmup);
        assertEquals(List.of("decode"), o.workloads);
        assertEquals(Path.of("out.md"), o.report);
    }

    @Test
    void offloadBenchBadOption() {
        assertBadUsage(new OffloadBench.Options(), "OffloadBench", "--parts", "vision");
    }

    @Test
    void offloadBenchHelp() {
        assertHelp(new OffloadBench.Options(), "--workloads", "--iters", "--warmup", "--report");
    }

    @Test
    void visionRunArguments() {
        VisionRun.Arguments a = new VisionRun.Arguments();
        assertRan(a, "model", "grouped-mlp", "image.png", "2", "cumo-vision.yaml", "out.npz");
        assertEquals(Path.of("model"), a.model);
        assertEquals("grouped-mlp", a.bank);
        assertEquals(Path.of("image.png"), a.image);
        assertEquals(2, a.runs);
        assertEquals(Path.of("cumo-vision.yaml"), a.template);
        assertEquals(Path.of("out.npz"), a.output);
    }

    @Test
    void visionRunMissingArgument() {
        assertBadUsage(new VisionRun.Arguments(), "VisionRun", "model", "grouped-mlp");
    }

    @Test
    void visionRunHelp() {
        assertHelp(new VisionRun.Arguments(), "MODEL_DIR", "OUT_NPZ");
    }
}
