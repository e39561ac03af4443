package io.moxie.encoders.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PixelNormalizerTest {
    private static final double[] MEAN = {0.48145466, 0.4578275, 0.40821073};
    private static final double[] STD = {0.26862954, 0.26130258, 0.27577711};

    @Test
    void valuesFollowTheFloat32OperationsOfTheReference() {
        PixelNormalizer n = PixelNormalizer.rescaleInDouble(1.0 / 255.0, MEAN, STD);
        for (int c = 0; c < 3; c++) {
            for (int v = 0; v < 256; v++) {
                float x = (float) (v * (1.0 / 255.0));
                assertEquals((x - (float) MEAN[c]) / (float) STD[c], n.value(c, v));
            }
        }
    }

    @Test
    void hfRescaleInDoubleAndTorchvisionDivideInFloatAgreeOnEveryByteForOneOver255() {
        // Two different float recipes (README §5 vs README-octavius2d §2); for 1/255 they round alike on all bytes,
        // so CuMo and Octavius pixel_values differ only through their resizes.
        PixelNormalizer hf = PixelNormalizer.rescaleInDouble(1.0 / 255.0, MEAN, STD);
        PixelNormalizer tv = PixelNormalizer.divideInFloat(255f, MEAN, STD);
        for (int c = 0; c < 3; c++) {
            for (int v = 0; v < 256; v++) {
                assertEquals(hf.value(c, v), tv.value(c, v), "channel " + c + " byte " + v);
            }
        }
    }

    @Test
    void toChwWritesChannelPlanes() {
        RgbImage img = new RgbImage(2, 1, new byte[] {0, 1, 2, (byte) 255, 4, 5});
        PixelNormalizer n = PixelNormalizer.rescaleInDouble(1.0, new double[] {0, 0, 0}, new double[] {1, 1, 1});
        assertArrayEquals(new float[] {0, 255, 1, 4, 2, 5}, n.toChw(img));
    }
}
