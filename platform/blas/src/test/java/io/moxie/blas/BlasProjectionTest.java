package io.moxie.blas;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link BlasProjection} (one row as a matrix-vector product, several over columns or over rows, a strided input) and
 * {@link GatedSilu} against the engine's own operations on real DJL tensors.
 */
class BlasProjectionTest {
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
    void projectionMatchesTheEngineForOneRowManyRowsAndNarrowMaps() {
        // {rows, out, in}: one row split over outputs (9000 x 512: 2+ cores) and not, columns, rows (48 outputs, 300 rows)
        for (int[] size : new int[][] {{1, 9000, 512}, {1, 1536, 512}, {1, 5, 7}, {1, 70, 3}, {16, 512, 96}, {300, 48, 33},
            {2, 3, 4}}) {
            NDArray x = manager.randomNormal(new Shape(size[0], size[2]));
            NDArray w = manager.randomNormal(new Shape(size[1], size[2]));
            assertClose(Linear.linear(x, w).singletonOrThrow(), BlasProjection.of(w).apply(x), 1e-4f);
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
            assertClose(expected, BlasProjection.fastestLayout(w).apply(x), 1e-4f);
        }
        NDArray wide = manager.randomNormal(new Shape(5, 2 * 80));
        NDArray w = manager.randomNormal(new Shape(96, 80));
        NDArray expected = Linear.linear(wide.get(":, 0:80"), w).singletonOrThrow();
        NDArray y = manager.create(new Shape(5, 96));
        BlasProjection.fastestLayout(w).apply(SharedMemory.floats(wide), 5, 2 * 80, SharedMemory.floats(y));
        assertClose(expected, y, 1e-4f);
    }

    @Test
    void projectionReadsAStridedInputInPlace() {
        for (int rows : new int[] {1, 5, 130}) {
            NDArray wide = manager.randomNormal(new Shape(rows, 2 * 80));
            NDArray w = manager.randomNormal(new Shape(96, 80));
            NDArray y = manager.create(new Shape(rows, 96));
            BlasProjection.of(w).apply(SharedMemory.floats(wide), rows, 2 * 80, SharedMemory.floats(y));
            assertClose(Linear.linear(wide.get(":, 0:80"), w).singletonOrThrow(), y, 1e-4f);
        }
    }

    @Test
    void projectionRefusesAWrongWidth() {
        BlasProjection map = BlasProjection.of(manager.ones(new Shape(4, 3)));
        assertThrows(IllegalArgumentException.class, () -> map.apply(manager.ones(new Shape(2, 5))));
    }

    @Test
    void gatedSiluMatchesTheEngineAndLeavesTheUpHalfAlone() {
        // 3 rows of 2 x 20000: many loop chunks a row; 40 rows of 2 x 64: less than one
        for (int[] size : new int[][] {{3, 20000}, {40, 64}}) {
            NDArray gateUp = manager.randomNormal(new Shape(size[0], 2L * size[1]));
            NDList halves = gateUp.split(2, 1);
            NDArray gate = halves.get(0).duplicate();
            NDArray up = halves.get(1).duplicate();
            NDArray expected = gate.mul(Activation.sigmoid(gate)).muli(up);
            GatedSilu.applyInPlace(SharedMemory.floats(gateUp), 1, size[0] - 1, size[1]);
            NDList after = gateUp.split(2, 1);
            // the rational tanh is within 4e-7 of the exact one, scaled by |gate · up|
            assertClose(expected.get("1:"), after.get(0).get("1:"), 1e-5f);
            assertClose(gate.get("0:1"), after.get(0).get("0:1"), 0f); // rows outside the range untouched
            assertClose(up, after.get(1), 0f);
        }
    }

    private static void assertClose(NDArray expected, NDArray actual, float tolerance) {
        assertEquals(expected.getShape(), actual.getShape());
        FloatBuffer e = FloatBuffer.wrap(expected.toFloatArray());
        FloatBuffer a = FloatBuffer.wrap(actual.toFloatArray());
        for (int i = 0; i < e.capacity(); i++) {
            assertEquals(e.get(i), a.get(i), tolerance * (1 + Math.abs(e.get(i))), "element " + i);
        }
    }
}
