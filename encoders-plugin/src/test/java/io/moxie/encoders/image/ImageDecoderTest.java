package io.moxie.encoders.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moxie.api.InvalidInputException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ImageDecoderTest {

    static Stream<Arguments> decodeCases() {
        return Fixtures.cases("image/decode/cases.txt").stream()
                .map(c -> Arguments.of(c[0], c[1], Integer.parseInt(c[2]), Integer.parseInt(c[3])));
    }

    /** Every fixture decodes to exactly the bytes of PIL's {@code Image.open(f).convert('RGB')}, JPEG included. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("decodeCases")
    void decodesToThePixelsOfPilConvertRgb(String name, String file, int width, int height) {
        RgbImage image = ImageDecoder.decode(Fixtures.bytes("image/decode/" + file));
        assertEquals(width, image.width(), "width");
        assertEquals(height, image.height(), "height");
        byte[] expected = Fixtures.bytes("image/decode/" + name + ".rgb");
        assertNull(Fixtures.byteDifference(expected, image.toByteArray()), name);
    }

    @Test
    void emptyInputIsRefused() {
        assertRefused(new byte[0], "empty image: zero bytes");
    }

    @Test
    void textIsNotAnImage() {
        assertRefused(Fixtures.bytes("image/bad/text.txt"), "not a PNG or JPEG image");
    }

    @Test
    void gifIsNotAcceptedEvenThoughPilCouldReadIt() {
        assertRefused(Fixtures.bytes("image/bad/gif.gif"), "not a PNG or JPEG image");
    }

    @Test
    void truncatedPngIsRefusedAsTruncated() {
        assertRefused(Fixtures.bytes("image/bad/truncated.png"), "truncated image");
    }

    @Test
    void pngWithHeaderButNoImageDataIsRefusedAsTruncated() {
        assertRefused(Fixtures.bytes("image/bad/header-only.png"), "truncated image");
        assertRefused(Fixtures.bytes("image/bad/signature-only.png"), "truncated image");
    }

    @Test
    void truncatedJpegIsRefusedLikePilDoesInsteadOfBeingPaddedWithGrey() {
        assertRefused(Fixtures.bytes("image/bad/truncated.jpg"), "truncated image");
    }

    @Test
    void jpegMissingOnlyItsEndMarkerIsRefusedAsTruncated() {
        assertRefused(Fixtures.bytes("image/bad/no-eoi.jpg"), "truncated image");
    }

    @Test
    void jpegCutInsideItsHeadersIsRefusedAsTruncated() {
        byte[] jpeg = Fixtures.bytes("image/decode/jpeg420-83x61.jpg");
        assertRefused(Arrays.copyOf(jpeg, 2), "truncated image");
        assertRefused(Arrays.copyOf(jpeg, 100), "truncated image");
    }

    @Test
    void zeroWidthPngIsRefusedAsZeroSized() {
        assertRefused(Fixtures.bytes("image/bad/zero-width.png"), "zero-sized image: 0x3");
    }

    @Test
    void cmykJpegIsRefusedClearly() {
        assertRefused(Fixtures.bytes("image/bad/cmyk.jpg"), "CMYK JPEG images are not supported");
    }

    @Test
    void pngWithBrokenCompressedDataIsRefusedAsCorrupt() {
        byte[] png = Fixtures.bytes("image/decode/rgb-45x29.png");
        int idat = indexOf(png, "IDAT".getBytes(StandardCharsets.US_ASCII));
        png[idat + 4] = 0x00; // zlib header byte: "incorrect header check"
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> ImageDecoder.decode(png));
        assertTrue(e.getMessage().startsWith("corrupt PNG image: "), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
    }

    @Test
    void imageOverThePixelLimitIsRefusedBeforeDecoding() {
        byte[] png = Fixtures.bytes("image/decode/rgb-45x29.png");
        assertRefused(() -> ImageDecoder.decode(png, 45 * 29 - 1), "image too large: 45x29 pixels, the limit is 1304");
        assertEquals(45, ImageDecoder.decode(png, 45 * 29).width());
    }

    @Test
    void decodingDoesNotDependOnAnyColourProfile() {
        // The fixture embeds a LAB ICC profile; the JPEG case list already checks its pixels against PIL, this
        // checks the profile is really there so the case keeps meaning something.
        byte[] jpeg = Fixtures.bytes("image/decode/jpeg420-icc-40x24.jpg");
        assertTrue(indexOf(jpeg, "ICC_PROFILE".getBytes(StandardCharsets.US_ASCII)) > 0);
    }

    private static void assertRefused(byte[] data, String message) {
        assertRefused(() -> ImageDecoder.decode(data), message);
    }

    private static void assertRefused(org.junit.jupiter.api.function.Executable call, String message) {
        InvalidInputException e = assertThrows(InvalidInputException.class, call);
        assertEquals(message, e.getMessage());
    }

    private static int indexOf(byte[] data, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= data.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (data[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
