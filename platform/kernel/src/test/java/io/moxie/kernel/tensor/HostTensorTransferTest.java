package io.moxie.kernel.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The copies between {@link HostTensor} and NDArray: bit-exact, one owner for each side's memory. */
class HostTensorTransferTest {
    // not BFLOAT16: DJL's PyTorch binding aborts the JVM creating such an array (see bfloat16IsRefused)
    private static final DataType[] TYPES = {DataType.FLOAT32, DataType.FLOAT64, DataType.FLOAT16, DataType.INT64,
            DataType.INT32, DataType.INT8, DataType.UINT8, DataType.BOOLEAN};

    @Test
    void roundTripIsBitExactForEveryDtypeAndShape() {
        Random random = new Random(7);
        long[][] shapes = {{576, 1024}, {2, 16, 48}, {3}, {}, {0, 4}, {1, 1, 1, 5}};
        try (NDManager manager = NDManager.newBaseManager()) {
            for (DataType type : TYPES) {
                for (long[] shape : shapes) {
                    HostTensor in = random(random, type, shape);
                    try (NDArray array = in.toNDArray(manager)) {
                        assertEquals(type, array.getDataType(), type + Arrays.toString(shape));
                        assertArrayEquals(shape, array.getShape().getShape(), type + Arrays.toString(shape));
                        HostTensor out = HostTensor.copyOf(array);
                        assertEquals(in, out, type + Arrays.toString(shape));
                        assertArrayEquals(in.toByteArray(), out.toByteArray(), type + Arrays.toString(shape));
                    }
                }
            }
        }
    }

    @Test
    void bfloat16IsRefusedWithAnErrorInsteadOfAbortingTheProcess() {
        HostTensor bf16 = new HostTensor(DataType.BFLOAT16, new long[] {2}, ByteBuffer.allocate(4));
        try (NDManager manager = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> bf16.toNDArray(manager));
            assertTrue(e.getMessage().contains("bfloat16"), e.getMessage());
        }
    }

    @Test
    void arrayComputesOnTheValuesAndOwnsItsMemory() {
        byte[] backing = new byte[4 * 6];
        ByteBuffer.wrap(backing).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(new float[] {1, 2, 3, 4, 5, 6});
        HostTensor host = new HostTensor(DataType.FLOAT32, new long[] {2, 3}, ByteBuffer.wrap(backing));
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray array = host.toNDArray(manager);
            assertArrayEquals(new float[] {5, 7, 9}, array.sum(new int[] {0}).toFloatArray());
            // the array has its own copy: the host bytes changing later does not reach it
            Arrays.fill(backing, (byte) 0);
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, array.toFloatArray());
            // and the host tensor's bytes are not written by in-place arithmetic on the array
            ByteBuffer.wrap(backing).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(new float[] {1, 2, 3, 4, 5, 6});
            array.addi(100f);
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, host.toFloatArray());
            manager.close();
            assertTrue(array.isReleased(), "the array's memory belongs to its manager");
        }
    }

    @Test
    void tensorFromAViewOfALargerBufferStartsAtItsOwnBytes() {
        // the gateway parses requests with aliasing: a tensor's bytes are a window of the whole message
        byte[] message = new byte[3 + 8 + 5];
        ByteBuffer.wrap(message, 3, 8).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(new float[] {-0f, 2.5f});
        ByteBuffer window = ByteBuffer.wrap(message, 3, 8).asReadOnlyBuffer();
        HostTensor host = new HostTensor(DataType.FLOAT32, new long[] {2}, window);
        try (NDManager manager = NDManager.newBaseManager(); NDArray array = host.toNDArray(manager)) {
            assertEquals(HostTensor.ofFloats(new float[] {-0f, 2.5f}, 2), HostTensor.copyOf(array));
            assertEquals(8, window.remaining(), "the caller's buffer is not consumed");
        }
    }

    @Test
    void copyOfStridedViewsIsRowMajor() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray a = manager.arange(12f).reshape(3, 4);
            assertEquals(HostTensor.ofFloats(new float[] {0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11}, 4, 3),
                    HostTensor.copyOf(a.transpose()));
            assertEquals(HostTensor.ofFloats(new float[] {1, 2, 5, 6, 9, 10}, 3, 2),
                    HostTensor.copyOf(a.get(new NDIndex(":, 1:3"))));
            assertEquals(HostTensor.ofFloats(new float[] {4, 5, 6, 7}, 4), HostTensor.copyOf(a.get(1)));
        }
    }

    @Test
    void copyStaysValidAfterTheArrayAndItsManagerClose() {
        // a response is written after the request's memory scope has closed
        HostTensor copy;
        float[] expected;
        try (NDManager request = NDManager.newBaseManager()) {
            NDArray y = request.randomNormal(new ai.djl.ndarray.types.Shape(576, 1024));
            expected = y.toFloatArray();
            copy = HostTensor.copyOf(y);
        }
        // reuse the freed memory, so a copy that still pointed at it would change
        try (NDManager other = NDManager.newBaseManager()) {
            other.ones(new ai.djl.ndarray.types.Shape(576, 1024)).mul(42f);
            assertArrayEquals(expected, copy.toFloatArray());
            assertFalse(copy.data().isDirect(), "the copy lives on the Java heap, owned by the tensor");
        }
    }

    private static HostTensor random(Random random, DataType type, long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        byte[] bytes = new byte[Math.toIntExact(n * type.getNumOfBytes())];
        random.nextBytes(bytes);
        if (type == DataType.BOOLEAN) {
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = (byte) (bytes[i] & 1);
            }
        }
        return new HostTensor(type, shape, ByteBuffer.wrap(bytes));
    }
}
