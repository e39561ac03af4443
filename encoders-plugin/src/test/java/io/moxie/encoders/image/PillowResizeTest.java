package io.moxie.encoders.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class PillowResizeTest {

    /** make_fixtures.py pattern(): a sawtooth with one pixel in four replaced by hash noise. */
    static RgbImage pattern(int w, int h, long seed) {
        final long m32 = 0xFFFFFFFFL;
        byte[] rgb = new byte[3 * w * h];
        for (int y = 0, o = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int c = 0; c < 3; c++, o++) {
                    long v = (x * 2654435761L + y * 2246822519L + c * 3266489917L + seed * 668265263L) & m32;
                    v ^= v >> 15;
                    v = (v * 2246822519L) & m32;
                    v ^= v >> 13;
                    long saw = (x * 5L + y * 3L + c * 85L) & 255;
                    rgb[o] = (byte) (((v >> 8) & 3) == 0 ? v & 255 : saw);
                }
            }
        }
        return new RgbImage(w, h, rgb);
    }

    static Stream<Arguments> resizeCases() {
        return Fixtures.cases("image/resize/cases.txt").stream().map(c -> Arguments.of(c[0],
                Integer.parseInt(c[1]), Integer.parseInt(c[2]), Integer.parseInt(c[3]), Integer.parseInt(c[4]),
                Long.parseLong(c[5]), c[6]));
    }

    /** Byte-exact against PIL's {@code resize(..., BICUBIC, reducing_gap=None)}: named cases and a random sweep. */
    @ParameterizedTest(name = "{0}: {1}x{2} -> {3}x{4}")
    @MethodSource("resizeCases")
    void matchesPillowByteForByte(String name, int w, int h, int outW, int outH, long seed, String expected) {
        RgbImage out = PillowResize.resize(pattern(w, h, seed), outW, outH);
        assertEquals(outW, out.width());
        assertEquals(outH, out.height());
        if (expected.startsWith("sha256:")) {
            assertEquals(expected.substring(7), sha256(out.toByteArray()), name);
        } else {
            assertNull(Fixtures.byteDifference(Fixtures.bytes("image/resize/" + expected), out.toByteArray()), name);
        }
    }

    @Test
    void sameSizeGivesAnEqualCopy() {
        RgbImage in = pattern(9, 7, 1);
        RgbImage out = PillowResize.resize(in, 9, 7);
        assertEquals(in, out);
        assertNotSame(in, out);
    }

    @Test
    void theHorizontalPassRunsFirstAndIsRoundedToBytesBeforeTheVerticalOne() {
        RgbImage in = pattern(45, 29, 3);
        RgbImage direct = PillowResize.resize(in, 32, 49);
        RgbImage widthThenHeight = PillowResize.resize(PillowResize.resize(in, 32, 29), 32, 49);
        assertEquals(direct, widthThenHeight);
    }

    @Test
    void aFlatImageStaysFlatWhateverTheScale() {
        RgbImage flat = RgbImage.filled(37, 23, 0, 128, 255);
        for (int[] size : new int[][] {{5, 3}, {100, 61}, {37, 1}, {1, 80}}) {
            assertEquals(RgbImage.filled(size[0], size[1], 0, 128, 255), PillowResize.resize(flat, size[0], size[1]));
        }
    }

    @Test
    void theInputIsNotModified() {
        RgbImage in = pattern(20, 10, 4);
        byte[] before = in.toByteArray();
        PillowResize.resize(in, 7, 13);
        assertNull(Fixtures.byteDifference(before, in.toByteArray()));
    }

    @Test
    void aNonPositiveOutputSizeIsRefused() {
        RgbImage in = pattern(4, 4, 0);
        assertThrows(IllegalArgumentException.class, () -> PillowResize.resize(in, 0, 4));
        assertThrows(IllegalArgumentException.class, () -> PillowResize.resize(in, 4, -1));
    }

    @Test
    void theKernelIsPillowsCubicWithAMinusOneHalf() {
        assertEquals(1.0, PillowResize.bicubic(0.0));
        assertEquals(0.5625, PillowResize.bicubic(0.5)); // (1.5 * 0.5 - 2.5) * 0.25 + 1
        assertEquals(-0.0625, PillowResize.bicubic(-1.5)); // ((1.5 - 5) * 1.5 + 8) * 1.5 - 4 = 0.125, * -0.5
        assertEquals(0.0, PillowResize.bicubic(2.0));
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
