package io.moxie.blas;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The shared OpenBLAS operations against the engine's own on real DJL tensors: the dense MLP with both fused
 * activations, the gated SiLU, thin products and the row-chunked engine steps ({@link BlasLinear} has its own test).
 */
class BlasOpsTest {
    private static NDManager manager;

    @BeforeAll
    static void start() {
        manager = NDManager.newBaseManager();
        manager.getEngine().setRandomSeed(7);
        assertTrue(OpenBlas.available(), "OpenBLAS must load in tests (it is on the test class path)");
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    @Test
    void mlpMatchesTheEngineForBothActivations() {
        NDArray x = manager.randomNormal(new Shape(2, 70, 64));
        NDArray w1 = manager.randomNormal(new Shape(256, 64)).mul(0.2f);
        NDArray b1 = manager.randomNormal(new Shape(256));
        NDArray w2 = manager.randomNormal(new Shape(40, 256)).mul(0.1f);
        NDArray b2 = manager.randomNormal(new Shape(40));
        NDArray z = Linear.linear(x, w1, b1).singletonOrThrow();
        NDArray quick = z.mul(ai.djl.nn.Activation.sigmoid(z.mul(1.702f)));
        assertClose(Linear.linear(quick, w2, b2).singletonOrThrow(),
                BlasMlp.of(w1, b1, w2, b2, FusedActivation.QUICK_GELU).forward(x), 1e-3f);
        NDArray gelu = z.getNDArrayInternal().gelu();
        assertClose(Linear.linear(gelu, w2, b2).singletonOrThrow(),
                BlasMlp.of(w1, b1, w2, b2, FusedActivation.GELU).forward(x), 1e-3f);
    }

    @Test
    void activationsMatchTheEngineOnABlockAndLeaveTheRestAlone() {
        // z from -12 to 12 (past both clamps); the block is rows 1-3, columns 5-1104 of a 5 x 1200 matrix (more
        // than one chunk per row)
        int rows = 5;
        int width = 1200;
        float[] z = new float[rows * width];
        for (int i = 0; i < z.length; i++) {
            z[i] = -12f + 24f * i / (z.length - 1);
        }
        NDArray exact = manager.create(z, new Shape(rows, width));
        NDArray quick = exact.mul(ai.djl.nn.Activation.sigmoid(exact.mul(1.702f)));
        NDArray gelu = exact.getNDArrayInternal().gelu();
        for (FusedActivation a : FusedActivation.values()) {
            float[] expected = (a == FusedActivation.GELU ? gelu : quick).toFloatArray();
            java.nio.FloatBuffer m = java.nio.FloatBuffer.allocate(z.length);
            for (int i = 0; i < z.length; i++) {
                m.put(i, z[i] * a.fc1Alpha());
            }
            a.applyInPlace(m, width, 1, 3, 5, 1100);
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < width; c++) {
                    int i = r * width + c;
                    boolean inside = r >= 1 && r < 4 && c >= 5 && c < 1105;
                    float want = inside ? expected[i] : z[i] * a.fc1Alpha();
                    float got = inside ? m.get(i) * a.fc2Alpha() : m.get(i);
                    assertEquals(want, got, 2e-6f + 2e-6f * Math.abs(want), a + " at row " + r + ", column " + c);
                }
            }
        }
    }

    @Test
    void gatedSiluMatchesTheEngineAndLeavesTheUpHalfAlone() {
        // 3 rows of 2 x 20000: many loop chunks a row; 40 rows of 2 x 64: less than one
        for (int[] size : new int[][] {{3, 20000}, {40, 64}}) {
            NDArray gateUp = manager.randomNormal(new Shape(size[0], 2L * size[1]));
            NDList halves = gateUp.split(2, 1);
            NDArray gate = halves.get(0).duplicate();
            NDArray up = halves.get(1).duplicate();
            NDArray expected = gate.mul(ai.djl.nn.Activation.sigmoid(gate)).muli(up);
            GatedSilu.applyInPlace(SharedMemory.floats(gateUp), 1, size[0] - 1, size[1]);
            NDList after = gateUp.split(2, 1);
            // the rational tanh is within 4e-7 of the exact one, scaled by |gate · up|
            assertClose(expected.get("1:"), after.get(0).get("1:"), 1e-5f);
            assertClose(gate.get("0:1"), after.get(0).get("0:1"), 0f); // rows outside the range untouched
            assertClose(up, after.get(1), 0f);
        }
    }

    @Test
    void activationsAreFoundByTheirHuggingFaceNames() {
        assertEquals(FusedActivation.QUICK_GELU, FusedActivation.named("quick_gelu"));
        assertEquals(FusedActivation.GELU, FusedActivation.named("gelu"));
        assertNull(FusedActivation.named("relu"));
    }

    @Test
    void thinProductsMatchTheEngineInPiecesAndWhole() {
        // {m, n, k}: rows and K not multiples of the pieces; one column (a decode step); 40 and 100 columns (full and
        // half K chunks); 300 columns (one sgemm)
        for (int[] size : new int[][] {{100, 32, 1100}, {50, 1, 600}, {70, 40, 513}, {33, 100, 700}, {20, 300, 64}}) {
            NDArray a = manager.randomNormal(new Shape(size[0], size[2]));
            NDArray b = manager.randomNormal(new Shape(size[2], size[1]));
            NDArray c = manager.create(new Shape(size[0], size[1]));
            ThinProduct.multiply(size[0], size[1], size[2], SharedMemory.floats(a), size[2], SharedMemory.floats(b),
                    SharedMemory.floats(c));
            assertClose(a.matMul(b), c, 1e-4f);
        }
    }

    @Test
    void thinProductsOfEmptySizesAndUndersizedBuffers() {
        java.nio.FloatBuffer c = SharedMemory.floats(manager.ones(new Shape(3, 4)));
        java.nio.FloatBuffer empty = SharedMemory.floats(manager.create(new Shape(1)));
        ThinProduct.multiply(0, 4, 5, empty, 5, empty, c); // no rows, no columns: nothing to do
        ThinProduct.multiply(3, 0, 5, empty, 5, empty, c);
        assertEquals(1f, c.get(11));
        ThinProduct.multiply(3, 4, 0, empty, 0, empty, c); // K = 0: a sum of nothing, as sgemm with beta 0
        assertArrayEquals(new float[12], copy(c));
        java.nio.FloatBuffer small = SharedMemory.floats(manager.create(new Shape(10)));
        assertThrows(IndexOutOfBoundsException.class, () -> ThinProduct.multiply(3, 4, 5, small, 5, small, c));
        assertThrows(IllegalArgumentException.class, () -> ThinProduct.multiply(3, 4, 5, small, 4, small, c));
    }

    private static float[] copy(java.nio.FloatBuffer b) {
        float[] out = new float[b.capacity()];
        b.get(0, out);
        return out;
    }

    @Test
    void rowPartsGiveTheEngineResults() {
        // 700 rows of 96: many chunks below the grain size, spread over the parts
        NDArray x = manager.randomNormal(new Shape(7, 100, 96));
        NDArray y = manager.randomNormal(new Shape(7, 100, 96));
        assertArrayEquals(x.add(y).toFloatArray(), RowParts.add(x, y).toFloatArray());
        NDArray softmax = RowParts.map(x, a -> a.softmax(-1));
        assertEquals(x.getShape(), softmax.getShape());
        assertClose(x.softmax(-1), softmax, 1e-6f);
    }

    private static void assertClose(NDArray expected, NDArray actual, float tolerance) {
        assertEquals(expected.getShape(), actual.getShape());
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        for (int i = 0; i < e.length; i++) {
            float scale = Math.max(1f, Math.abs(e[i]));
            assertTrue(Math.abs(e[i] - a[i]) <= tolerance * scale, "element " + i + ": " + e[i] + " vs " + a[i]);
        }
    }

    @Test
    void onlyDenseFloat32CpuMemoryIsShared() {
        try (NDArray f32 = manager.ones(new Shape(2, 3));
             NDArray f64 = manager.ones(new Shape(2, 3), ai.djl.ndarray.types.DataType.FLOAT64);
             NDArray i64 = manager.create(new long[] {1, 2, 3})) {
            assertTrue(SharedMemory.shareable(f32) && OpenBlas.availableFor(f32));
            SharedMemory.floats(f32).put(4, 7f);
            assertEquals(7f, f32.toFloatArray()[4], "a write through the view is the array's content");
            for (NDArray other : new NDArray[] {f64, i64}) {
                // reading 8-byte elements as floats would read past the tensor: refused, the engine computes instead
                assertTrue(!SharedMemory.shareable(other) && !OpenBlas.availableFor(other), other.getDataType().toString());
                assertThrows(IllegalStateException.class, () -> SharedMemory.floats(other));
            }
        }
    }
}
