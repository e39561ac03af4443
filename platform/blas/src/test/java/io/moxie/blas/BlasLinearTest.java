package io.moxie.blas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import io.moxie.blas.BlasLinear.Split;
import java.nio.FloatBuffer;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link BlasLinear}: one row as a matrix-vector product (one part and several), several rows over columns and over
 * rows, both split rules, both layouts, a strided input, a bias and {@code alpha}; against the engine's own
 * {@code linear} and, for the combinations it has no operation for, a plain triple loop.
 */
class BlasLinearTest {
    /**
     * {rows, out, in, stride}: one row split over outputs (9000 x 512, over 2 M elements a part on 2 cores) and not,
     * several rows over columns (200 outputs), over rows (48 outputs over 300 rows), tiny ones.
     */
    private static final int[][] SIZES = {{1, 9000, 512, 512}, {1, 70, 33, 40}, {1, 5, 7, 7}, {5, 200, 48, 64},
        {300, 48, 33, 40}, {130, 96, 80, 160}, {2, 3, 4, 4}, {3, 33, 700, 701}};

    private static NDManager manager;

    @BeforeAll
    static void start() {
        manager = NDManager.newBaseManager();
        manager.getEngine().setRandomSeed(11);
        assertTrue(OpenBlas.available(), "OpenBLAS must load in tests (it is on the test class path)");
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    @Test
    void mapMatchesTheEngineWithAndWithoutBias() {
        // 512 outputs: parts over columns on 2+ cores; 48 outputs over 300 rows: parts over rows; one row: sgemv
        for (int[] size : new int[][] {{3, 7, 512, 96}, {300, 1, 48, 33}, {1, 1, 5, 4}, {1, 1, 1536, 512}}) {
            NDArray x = manager.randomNormal(new Shape(size[0], size[1], size[3]));
            NDArray w = manager.randomNormal(new Shape(size[2], size[3]));
            NDArray b = manager.randomNormal(new Shape(size[2]));
            for (Split split : Split.values()) {
                assertClose(Linear.linear(x, w, b).singletonOrThrow(), BlasLinear.of(w, b, split).apply(x), 1e-4f);
                assertClose(Linear.linear(x, w).singletonOrThrow(), BlasLinear.of(w, null, split).apply(x), 1e-4f);
            }
        }
    }

    @Test
    void fastestLayoutMatchesTheEngineForOneRowManyRowsAndNarrowMaps() {
        // wide maps transposed (one row over outputs, several rows over columns and over rows), a tall one as stored
        for (int[] size : new int[][] {{1, 9000, 512}, {1, 1537, 511}, {1, 70, 3}, {16, 513, 96}, {300, 48, 33},
            {2, 3, 4}, {3, 33, 700}}) {
            NDArray x = manager.randomNormal(new Shape(size[0], size[2]));
            NDArray w = manager.randomNormal(new Shape(size[1], size[2]));
            NDArray expected = Linear.linear(x, w).singletonOrThrow();
            assertClose(expected, BlasLinear.fastestLayout(w, null, Split.SHARE_WEIGHT).apply(x), 1e-4f);
        }
    }

    @Test
    void mapMatchesATripleLoopWithBiasAlphaAndStrideInBothLayouts() {
        Random random = new Random(5);
        for (int[] size : SIZES) {
            for (Split split : Split.values()) {
                float[] x = gaussian(random, size[0] * size[3]);
                float[] w = gaussian(random, size[1] * size[2]);
                float[] b = gaussian(random, size[1]);
                NDArray bias = manager.create(b, new Shape(size[1]));
                // the bias scaled as BlasMlp folds an activation's factor into it, alpha alike
                assertApplies(BlasLinear.of(weight(w, size), bias, 0.75f, split), size, x, w, b, 0.75f, 0.75f);
                assertApplies(BlasLinear.of(weight(w, size), bias, split), size, x, w, b, 1f, -2f);
                assertApplies(BlasLinear.of(weight(w, size), null, split), size, x, w, null, 1f, 1f);
                // transposed where out > in
                assertApplies(BlasLinear.fastestLayout(weight(w, size), bias, split), size, x, w, b, 1f, 0.5f);
                assertApplies(BlasLinear.fastestLayout(weight(w, size), null, split), size, x, w, null, 1f, 1f);
            }
        }
    }

    /** Returns a new weight {@code [out, in]} of {@code size} holding {@code w} (fastestLayout may close it). */
    private static NDArray weight(float[] w, int[] size) {
        return manager.create(w, new Shape(size[1], size[2]));
    }

    @Test
    void fastestLayoutTakesAWideWeightOver() {
        NDArray wide = manager.randomNormal(new Shape(70, 3));
        BlasLinear.fastestLayout(wide, null, Split.SHARE_WEIGHT);
        assertTrue(wide.isReleased(), "the wide weight is transposed into a copy and closed");
        NDArray tall = manager.randomNormal(new Shape(3, 70));
        BlasLinear.fastestLayout(tall, null, Split.SHARE_WEIGHT);
        assertTrue(!tall.isReleased(), "a tall weight is used as stored");
    }

    @Test
    void mapRefusesAWrongWidthOrBiasOrStride() {
        BlasLinear map = BlasLinear.of(manager.ones(new Shape(4, 3)), null, Split.FILL_CORES);
        assertThrows(IllegalArgumentException.class, () -> map.apply(manager.ones(new Shape(2, 5))));
        FloatBuffer buffer = SharedMemory.floats(manager.ones(new Shape(8)));
        assertThrows(IllegalArgumentException.class, () -> map.apply(buffer, 2, 2, 1f, buffer));
        assertThrows(IllegalArgumentException.class,
                () -> BlasLinear.of(manager.ones(new Shape(4, 3)), manager.ones(new Shape(3)), Split.FILL_CORES));
    }

    /**
     * Applies {@code map} to {@code x [rows, in]} at row stride {@code stride} ({@code size}) with {@code alpha} and
     * checks the result against {@code alpha · x · wᵀ + biasScale · b} summed in double.
     */
    private static void assertApplies(BlasLinear map, int[] size, float[] x, float[] w, float[] b, float biasScale,
                                      float alpha) {
        int rows = size[0];
        int out = size[1];
        int in = size[2];
        int stride = size[3];
        NDArray input = manager.create(x, new Shape(rows, stride));
        NDArray result = manager.create(new Shape(rows, out));
        map.apply(SharedMemory.floats(input), rows, stride, alpha, SharedMemory.floats(result));
        float[] actual = result.toFloatArray();
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double sum = 0;
                for (int i = 0; i < in; i++) {
                    sum += (double) x[r * stride + i] * w[o * in + i];
                }
                double expected = alpha * sum + (b == null ? 0 : (double) (b[o] * biasScale));
                assertEquals(expected, actual[r * out + o], 1e-4 * (Math.sqrt(in) + Math.abs(expected)),
                        "size " + java.util.Arrays.toString(size) + ", row " + r + ", output " + o);
            }
        }
        input.close();
        result.close();
    }

    private static float[] gaussian(Random random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    private static void assertClose(NDArray expected, NDArray actual, float tolerance) {
        assertEquals(expected.getShape(), actual.getShape());
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], tolerance * (1 + Math.abs(e[i])), "element " + i);
        }
    }
}
