package io.moxie.encoders.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class RgbImageTest {

    @Test
    void pixelsAreRowMajorInterleavedRgb() {
        RgbImage img = new RgbImage(2, 2, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, (byte) 200});
        assertEquals(4, img.sample(1, 0, 0));
        assertEquals(9, img.sample(0, 1, 2));
        assertEquals(200, img.sample(1, 1, 2));
    }

    @Test
    void theImageCannotBeChangedThroughTheArraysItWasGivenOrGave() {
        byte[] rgb = {1, 2, 3};
        RgbImage img = new RgbImage(1, 1, rgb);
        rgb[0] = 9;
        img.toByteArray()[1] = 9;
        assertEquals(new RgbImage(1, 1, new byte[] {1, 2, 3}), img);
    }

    @Test
    void aBufferOfTheWrongLengthOrAnEmptySizeIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new RgbImage(2, 2, new byte[11]));
        assertThrows(IllegalArgumentException.class, () -> new RgbImage(0, 1, new byte[0]));
    }

    @Test
    void cropAndPlacementCopyTheRightWindow() {
        RgbImage img = PillowResizeTest.pattern(5, 4, 1);
        RgbImage crop = img.crop(1, 2, 3, 2);
        assertEquals(img.sample(1, 2, 0), crop.sample(0, 0, 0));
        assertEquals(img.sample(3, 3, 2), crop.sample(2, 1, 2));
        RgbImage placed = crop.placedOn(6, 6, 2, 1, 7, 8, 9);
        assertEquals(crop.sample(0, 0, 1), placed.sample(2, 1, 1));
        assertEquals(8, placed.sample(1, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> img.crop(3, 0, 3, 1));
        assertThrows(IllegalArgumentException.class, () -> img.placedOn(5, 4, 1, 0, 0, 0, 0));
    }
}
