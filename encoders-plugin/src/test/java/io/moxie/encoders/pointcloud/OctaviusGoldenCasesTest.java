package io.moxie.encoders.pointcloud;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moxie.kernel.io.Npz;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every {@code 3d-*} golden case in the test resources (the four visible reference cases and the ones generated
 * for Moxie with {@code octavius_reference.py golden}) through a real pipeline engine with the shipped default
 * pipeline: every key of {@code expected.npz}, indices exactly, floats within the case's tolerances.
 */
class OctaviusGoldenCasesTest {
    private static OctaviusPipelines pipelines;

    @BeforeAll
    static void start() {
        pipelines = new OctaviusPipelines();
    }

    @AfterAll
    static void stop() {
        pipelines.close();
    }

    static Stream<String> cases() throws IOException {
        try (Stream<Path> dirs = Files.list(OctaviusPipelines.goldenCase(""))) {
            return dirs.map(d -> d.getFileName().toString()).filter(n -> n.startsWith("3d-")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void goldenCaseMatchesEveryExpectedKey(String name) {
        Path dir = OctaviusPipelines.goldenCase(name);
        String pipeline = pipelines.deploy(dir);
        Map<String, HostTensor> out = pipelines.infer(pipeline, Npz.read(dir.resolve("inputs.npz")));
        GoldenComparison.Report report = GoldenComparison.compare(dir, out);
        System.out.println("golden " + name + ":\n" + report.summary());
        assertTrue(report.failures().isEmpty(), name + ": " + report.failures());
    }
}
