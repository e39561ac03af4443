package io.moxie.encoders.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moxie.api.InvalidInputException;
import io.moxie.encoders.image.OctaviusImagePreprocessor.Options;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class OctaviusImagePreprocessorTest {

    static Stream<Arguments> octaviusCases() {
        return Fixtures.cases("image/preprocess/cases.txt").stream().filter(c -> c[0].equals("octavius"))
                .map(c -> Arguments.of(c[1], c[2], Integer.parseInt(c[3])));
    }

    /**
     * Against octavius2d_reference.preprocess, plus the two golden Octavius 2D cases with an encoded image (a PNG and
     * a JPEG), whose expected pixel arrays are copied unchanged from their expected.npz.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("octaviusCases")
    void matchesTheOctaviusReference(String name, String image, int size) {
        PreprocessedImage out = new OctaviusImagePreprocessor(Options.clip(size))
                .preprocess(Fixtures.bytes("image/" + image));
        assertEquals(size, out.width());
        assertEquals(size, out.height());
        assertNull(Fixtures.byteDifference(Fixtures.bytes("image/preprocess/" + name + ".u8"),
                out.pixelUint8().toByteArray()), "pixel_uint8");
        assertNull(Fixtures.floatDifference(Fixtures.floats(Fixtures.bytes("image/preprocess/" + name + ".f32")),
                out.pixelValues()), "pixel_values");
    }

    @Test
    void theImageIsSquashedToTheSquareWithoutPaddingOrCrop() {
        RgbImage in = PillowResizeTest.pattern(45, 29, 5);
        PreprocessedImage out = new OctaviusImagePreprocessor(Options.clip(16)).preprocess(in);
        assertEquals(PillowResize.resize(in, 16, 16), out.pixelUint8());
    }

    @Test
    void undecodableBytesAreAnInputError() {
        OctaviusImagePreprocessor p = new OctaviusImagePreprocessor(Options.clip(16));
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> p.preprocess(new byte[] {1, 2, 3}));
        assertEquals("not a PNG or JPEG image", e.getMessage());
    }

    @Test
    void invalidOptionsAreRefusedNamingTheField() {
        IllegalArgumentException size = assertThrows(IllegalArgumentException.class, () -> Options.clip(0));
        assertTrue(size.getMessage().startsWith("image_size"), size.getMessage());
        IllegalArgumentException std = assertThrows(IllegalArgumentException.class,
                () -> new Options(8, new double[] {0, 0, 0}, new double[] {1, 1, -1}));
        assertTrue(std.getMessage().startsWith("image_std"), std.getMessage());
    }
}
