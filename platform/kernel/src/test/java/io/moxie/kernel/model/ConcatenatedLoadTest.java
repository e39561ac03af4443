package io.moxie.kernel.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ModelFormatException;
import io.moxie.api.ParameterStore;
import io.moxie.kernel.io.SafetensorsWriter;
import io.moxie.kernel.tensor.HostTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ParameterStore#loadConcatenated} on a real safetensors checkpoint: the tensors copied straight into one
 * engine array equal what concatenating their separate loads gives (the interface's default), in every stored dtype,
 * and bad requests are refused naming the key.
 */
class ConcatenatedLoadTest {
    @TempDir
    Path root;
    private ModelRepository repository;
    private ParameterStore params;
    private NDManager manager;

    @BeforeEach
    void open() throws Exception {
        Path dir = Files.createDirectories(root.resolve("m"));
        Files.writeString(dir.resolve("config.json"), "{}");
        Map<String, HostTensor> tensors = new LinkedHashMap<>();
        tensors.put("q", HostTensor.ofFloats(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        tensors.put("k", HostTensor.ofFloats(new float[] {-1, -2, -3}, 1, 3));
        // F16 1.0, 2.0, -0.5 and BF16 1.5, -3.0, 0.25: widened to float32 on the way
        tensors.put("v16", raw(DataType.FLOAT16, new long[] {1, 3}, (short) 0x3C00, (short) 0x4000, (short) 0xB800));
        tensors.put("vbf16", raw(DataType.BFLOAT16, new long[] {1, 3}, (short) 0x3FC0, (short) 0xC040, (short) 0x3E80));
        tensors.put("ids", HostTensor.ofLongs(new long[] {7, 8, 9}, 3));
        tensors.put("ids2d", HostTensor.ofLongs(new long[] {7, 8, 9}, 1, 3));
        tensors.put("scale", HostTensor.ofFloats(new float[] {0.125f}));
        SafetensorsWriter.write(dir.resolve("model.safetensors"), tensors);
        repository = new ModelRepository(root);
        params = repository.open("m").parameters();
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
        repository.close();
    }

    private static HostTensor raw(DataType type, long[] shape, short... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (short v : values) {
            bytes.putShort(v);
        }
        return new HostTensor(type, shape, bytes.flip());
    }

    @Test
    void tensorsOfEveryFloatingTypeAreCopiedIntoOneFloat32Array() {
        List<String> keys = List.of("q", "k", "v16", "vbf16");
        List<Shape> shapes = List.of(new Shape(2, 3), new Shape(1, 3), new Shape(1, 3), new Shape(1, 3));
        try (NDArray fused = params.loadConcatenated(keys, shapes, manager);
             NDArray reference = concatenatingStore(params).loadConcatenated(keys, shapes, manager)) {
            assertEquals(new Shape(5, 3), fused.getShape());
            assertEquals(DataType.FLOAT32, fused.getDataType());
            assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6, -1, -2, -3, 1, 2, -0.5f, 1.5f, -3, 0.25f},
                    fused.toFloatArray());
            assertArrayEquals(reference.toFloatArray(), fused.toFloatArray(), "the same as concatenating the loads");
            assertEquals("q+k+v16+vbf16", fused.getName());
        }
    }

    @Test
    void singleTensorsLoadTheSameWayScalarsAndIntegersIncluded() {
        assertArrayEquals(new float[] {0.125f}, params.load("scale", manager).toFloatArray());
        assertEquals(new Shape(), params.load("scale", manager).getShape());
        NDArray ids = params.load("ids", manager);
        assertEquals(DataType.INT64, ids.getDataType());
        assertArrayEquals(new long[] {7, 8, 9}, ids.toLongArray());
        assertArrayEquals(new float[] {1, 2, -0.5f}, params.load("v16", manager).toFloatArray());
    }

    @Test
    void aMissingKeyAWrongShapeOrMixedTypesAreRefusedNamingTheKey() {
        var missing = assertThrows(ModelFormatException.class, () -> params.loadConcatenated(List.of("q", "nope"),
                List.of(new Shape(2, 3), new Shape(1, 3)), manager));
        assertTrue(missing.getMessage().contains("'nope'"), missing.getMessage());
        var shape = assertThrows(ModelFormatException.class, () -> params.loadConcatenated(List.of("q", "k"),
                List.of(new Shape(2, 3), new Shape(2, 3)), manager));
        assertTrue(shape.getMessage().contains("'k'") && shape.getMessage().contains("(1, 3)"), shape.getMessage());
        var types = assertThrows(ModelFormatException.class, () -> params.loadConcatenated(List.of("k", "ids2d"),
                List.of(new Shape(1, 3), new Shape(1, 3)), manager));
        assertTrue(types.getMessage().contains("'ids2d' is int64, not float32"), types.getMessage());
        var uneven = assertThrows(IllegalArgumentException.class, () -> params.loadConcatenated(List.of("k", "ids"),
                List.of(new Shape(1, 3), new Shape(3)), manager));
        assertTrue(uneven.getMessage().contains("cannot concatenate"), uneven.getMessage());
        assertEquals(0, manager.getManagedArrays().size(), "a refused load allocates nothing");
    }

    /** The same store with the interface's default {@code loadConcatenated}: separate loads, then a concatenation. */
    private static ParameterStore concatenatingStore(ParameterStore store) {
        return new ParameterStore() {
            @Override
            public String modelName() {
                return store.modelName();
            }

            @Override
            public Set<String> keys() {
                return store.keys();
            }

            @Override
            public boolean contains(String key) {
                return store.contains(key);
            }

            @Override
            public Shape shape(String key) {
                return store.shape(key);
            }

            @Override
            public DataType storedType(String key) {
                return store.storedType(key);
            }

            @Override
            public NDArray load(String key, NDManager manager) {
                return store.load(key, manager);
            }
        };
    }
}
