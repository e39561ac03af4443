package io.moxie.encoders;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped {@code octavius-2d} pipeline (octavius-image-preprocess, clip-moe as Octavius' dense tower, llama-proj)
 * on every 2D golden case through a real engine, in the key layout the case was written in and converted to the
 * other one. The visible cases ({@code 2d-tiny}: pixel values, batch 2; {@code 2d-image-openai}: a 45×29 PNG, OpenAI
 * layout, 10 of 16 tokens) and ones drawn with the reference for this project (see the README in the test
 * resources): other widths and sizes with {@code gelu}, more tokens asked for than there are patches, greyscale and
 * colour photographs, odd-sized JPEGs scaled up.
 */
class Octavius2dGoldenTest {
    @TempDir
    static Path scratch;
    private static TestEngine engine;

    @BeforeAll
    static void start() {
        engine = new TestEngine(scratch);
    }

    @AfterAll
    static void stop() {
        engine.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"2d-tiny", "2d-image-openai", "2d-gelu-wide", "2d-tokens-above-patches", "2d-grey-photo",
        "2d-photo-jpeg", "2d-upscale-jpeg"})
    void goldenCaseMatchesInItsOwnLayoutAndInTheOther(String name) throws IOException {
        GoldenCase golden = GoldenCase.load("octavius", name);
        engine.deploy(Octavius2dPipeline.forModel(name, golden.dir()));
        report(name, "as written", golden.check(engine.infer(name, golden.inputs()), name));

        Path converted = TowerLayouts.convert(golden.dir(), scratch.resolve(name + "-converted"));
        engine.deploy(Octavius2dPipeline.forModel(name + "-converted", converted));
        report(name, "other layout", golden.check(engine.infer(name + "-converted", golden.inputs()),
                name + " converted to the other layout"));
    }

    private static void report(String name, String layout, Map<String, Double> errors) {
        String pixels = errors.containsKey("pixel_values")
                ? String.format(", pixel_values %.2e", errors.get("pixel_values")) : "";
        System.out.printf("golden %-24s %-12s max abs error: patch_features %.2e, image_tokens %.2e%s%n", name, layout,
                errors.get("patch_features"), errors.get("image_tokens"), pixels);
    }
}
