package io.moxie.encoders.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moxie.encoders.image.ClipPreprocessor.AspectRatio;
import io.moxie.encoders.image.ClipPreprocessor.Options;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ClipPreprocessorTest {
    private static final double[] CLIP_MEAN = {0.48145466, 0.4578275, 0.40821073};
    private static final double[] CLIP_STD = {0.26862954, 0.26130258, 0.27577711};

    static Stream<Arguments> clipCases() {
        return Fixtures.cases("image/preprocess/cases.txt").stream().filter(c -> c[0].equals("clip"))
                .map(c -> Arguments.of(c[1], c[2], c[3], Integer.parseInt(c[4]), Integer.parseInt(c[5])));
    }

    /** pixel_uint8 byte for byte and pixel_values bit for bit, against cumo_reference.preprocess. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("clipCases")
    void matchesTheCumoReference(String name, String image, String aspect, int shortestEdge, int crop) {
        Options options = new Options(CLIP_MEAN, CLIP_STD, shortestEdge, crop, 1.0 / 255.0,
                AspectRatio.fromConfig(aspect));
        PreprocessedImage out = new ClipPreprocessor(options).preprocess(Fixtures.bytes("image/" + image));
        assertEquals(crop, out.width());
        assertEquals(crop, out.height());
        assertNull(Fixtures.byteDifference(Fixtures.bytes("image/preprocess/" + name + ".u8"),
                out.pixelUint8().toByteArray()), "pixel_uint8");
        assertNull(Fixtures.floatDifference(Fixtures.floats(Fixtures.bytes("image/preprocess/" + name + ".f32")),
                out.pixelValues()), "pixel_values");
    }

    /** The golden case of reference README §7, image-png: decoding + preprocessing its encoded image. */
    @Test
    void goldenCumoImagePngCaseIsReproduced() {
        String dir = "golden/cumo/image-png/";
        String config = new String(Fixtures.bytes(dir + "config.json"), StandardCharsets.UTF_8);
        Options options = new Options(jsonNumbers(config, "image_mean"), jsonNumbers(config, "image_std"),
                (int) jsonNumber(config, "shortest_edge"), (int) jsonNumber(config, "crop_size"),
                jsonNumber(config, "rescale_factor"), AspectRatio.fromConfig(jsonString(config, "image_aspect_ratio")));
        Map<String, Npz.Array> inputs = Npz.read(Fixtures.bytes(dir + "inputs.npz"));
        Map<String, Npz.Array> expected = Npz.read(Fixtures.bytes(dir + "expected.npz"));

        PreprocessedImage out = new ClipPreprocessor(options).preprocess(inputs.get("image").uint8());

        Npz.Array u8 = expected.get("pixel_uint8");
        Npz.Array values = expected.get("pixel_values");
        assertArrayEquals(new int[] {1, out.height(), out.width(), 3}, u8.shape());
        assertArrayEquals(new int[] {1, 3, out.height(), out.width()}, values.shape());
        assertNull(Fixtures.byteDifference(u8.uint8(), out.pixelUint8().toByteArray()), "pixel_uint8");
        float[] want = values.float32();
        double maxDiff = 0;
        for (int i = 0; i < want.length; i++) {
            maxDiff = Math.max(maxDiff, Math.abs((double) want[i] - out.pixelValues()[i]));
        }
        assertTrue(maxDiff <= 1e-5, "pixel_values max |diff| " + maxDiff + " > atol 1e-5");
        // The same float32 operations as the reference: not merely close, identical.
        assertNull(Fixtures.floatDifference(want, out.pixelValues()), "pixel_values");
    }

    @Test
    void aWideImageIsCentredVerticallyOnTheTruncatedMeanColour() {
        ClipPreprocessor p = new ClipPreprocessor(Options.cumo(8));
        RgbImage square = p.expandToSquare(RgbImage.filled(4, 1, 1, 2, 3));
        assertEquals(4, square.height());
        // int(m * 255) truncates: 122.77, 116.75, 104.09 -> (122, 116, 104); the row sits at (4 - 1) // 2 = 1.
        for (int y = 0; y < 4; y++) {
            int[] want = y == 1 ? new int[] {1, 2, 3} : new int[] {122, 116, 104};
            for (int c = 0; c < 3; c++) {
                assertEquals(want[c], square.sample(2, y, c), "row " + y + " channel " + c);
            }
        }
    }

    @Test
    void aTallImageIsCentredHorizontally() {
        ClipPreprocessor p = new ClipPreprocessor(Options.cumo(8));
        RgbImage square = p.expandToSquare(RgbImage.filled(2, 5, 9, 9, 9));
        assertEquals(5, square.width());
        assertEquals(122, square.sample(0, 0, 0));
        assertEquals(9, square.sample(1, 0, 0)); // (5 - 2) // 2 = 1
        assertEquals(9, square.sample(2, 4, 0));
        assertEquals(122, square.sample(3, 0, 0));
    }

    @Test
    void squareModeKeepsTheAspectRatioAndCropsTheCentre() {
        // 45x29, short edge 40: long edge int(40 * 45 / 29) = 62; the crop starts at ((62 - 32) // 2, (40 - 32) // 2).
        RgbImage in = PillowResizeTest.pattern(45, 29, 7);
        Options options = new Options(CLIP_MEAN, CLIP_STD, 40, 32, 1.0 / 255.0, AspectRatio.SQUARE);
        PreprocessedImage out = new ClipPreprocessor(options).preprocess(in);
        assertEquals(PillowResize.resize(in, 62, 40).crop(15, 4, 32, 32), out.pixelUint8());
    }

    @Test
    void pixelValuesArePlanarChannelsOfTheCrop() {
        PreprocessedImage out = new ClipPreprocessor(Options.cumo(4)).preprocess(PillowResizeTest.pattern(4, 4, 2));
        PixelNormalizer n = PixelNormalizer.rescaleInDouble(1.0 / 255.0, CLIP_MEAN, CLIP_STD);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 4; x++) {
                    assertEquals(n.value(c, out.pixelUint8().sample(x, y, c)), out.pixelValues()[(c * 4 + y) * 4 + x]);
                }
            }
        }
    }

    @Test
    void invalidOptionsAreRefusedNamingTheField() {
        assertMessage("crop_size", () -> new Options(CLIP_MEAN, CLIP_STD, 32, 33, 1 / 255.0, AspectRatio.PAD));
        assertMessage("shortest_edge", () -> new Options(CLIP_MEAN, CLIP_STD, 0, 0, 1 / 255.0, AspectRatio.PAD));
        assertMessage("image_mean", () -> new Options(new double[] {0.5, 1.5, 0}, CLIP_STD, 8, 8, 1, AspectRatio.PAD));
        assertMessage("image_mean", () -> new Options(new double[] {0.5}, CLIP_STD, 8, 8, 1, AspectRatio.PAD));
        assertMessage("image_std", () -> new Options(CLIP_MEAN, new double[] {1, 0, 1}, 8, 8, 1, AspectRatio.PAD));
        assertMessage("rescale_factor", () -> new Options(CLIP_MEAN, CLIP_STD, 8, 8, Double.NaN, AspectRatio.PAD));
        assertMessage("image_aspect_ratio", () -> AspectRatio.fromConfig("anyres"));
    }

    @Test
    void optionsAreValuesWhoseArraysCannotBeChangedFromOutside() {
        double[] mean = CLIP_MEAN.clone();
        Options a = new Options(mean, CLIP_STD, 8, 8, 1 / 255.0, AspectRatio.PAD);
        mean[0] = 0;
        a.imageMean()[1] = 0;
        assertEquals(Options.cumo(8), a);
        assertEquals(Options.cumo(8).hashCode(), a.hashCode());
        assertNotEquals(Options.cumo(9), a);
        assertTrue(a.toString().contains("image_aspect_ratio=pad"), a.toString());
    }

    private static void assertMessage(String field, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().startsWith(field), e.getMessage());
    }

    private static double jsonNumber(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*([-0-9.eE+]+)").matcher(json);
        assertTrue(m.find(), key);
        return Double.parseDouble(m.group(1));
    }

    private static String jsonString(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*\"([^\"]*)\"").matcher(json);
        assertTrue(m.find(), key);
        return m.group(1);
    }

    private static double[] jsonNumbers(String json, String key) {
        Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*\\[([^\\]]*)]").matcher(json);
        assertTrue(m.find(), key);
        return Arrays.stream(m.group(1).split(",")).map(String::trim).mapToDouble(Double::parseDouble).toArray();
    }
}
