package io.moxie.kernel.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ModelFormatException;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsFileTest {
    @TempDir
    Path dir;

    @Test
    void goldenCheckpointListsKeysInFileOrderWithShapesTypesAndMetadata() {
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.golden("model.safetensors"))) {
            List<String> keys = List.copyOf(f.keys());
            assertEquals(109, keys.size());
            assertEquals(List.of("model.mm_projector.experts.0.0.bias", "model.mm_projector.experts.0.0.weight",
                    "model.mm_projector.experts.0.2.bias"), keys.subList(0, 3));
            assertEquals("model.vision_tower.vision_model.pre_layrnorm.weight", keys.get(108));
            assertEquals(new Shape(64), f.shape("model.mm_projector.experts.0.0.bias"));
            assertEquals(new Shape(64, 48), f.shape("model.mm_projector.experts.0.0.weight"));
            assertEquals(DataType.FLOAT32, f.storedType("model.mm_projector.experts.0.0.weight"));
            assertEquals(Map.of("format", "pt"), f.metadata());
            assertTrue(f.contains("model.mm_projector.experts.0.0.bias"));
            assertFalse(f.contains("__metadata__"));
            float[] bias = f.read("model.mm_projector.experts.0.0.bias").toFloatArray();
            assertEquals(0.14064201712608337f, bias[0]);
            assertEquals(0.10673262923955917f, bias[1]);
            assertEquals(-0.06376903504133224f, bias[2]);
        }
    }

    @Test
    void everyDtypeTheReferenceWriterProducesIsReadWithItsShape() {
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.io("st_mixed.safetensors"))) {
            assertEquals(DataType.FLOAT16, f.storedType("weight.f16"));
            assertEquals(new Shape(2, 5), f.shape("weight.f16"));
            assertEquals(DataType.BFLOAT16, f.storedType("weight.bf16"));
            assertEquals(DataType.INT32, f.storedType("i32"));
            assertEquals(DataType.UINT8, f.storedType("u8"));
            assertEquals(DataType.BOOLEAN, f.storedType("mask"));
            assertArrayEquals(new long[] {0, -1, 1L << 40, Long.MIN_VALUE, Long.MAX_VALUE},
                    f.read("idx").toLongArray());
            assertArrayEquals(new byte[] {0, (byte) 255, (byte) 128}, f.read("u8").toByteArray());
            assertArrayEquals(new byte[] {1, 0, 1}, f.read("mask").toByteArray());
            assertArrayEquals(new int[] {-5, 7}, ints(f.read("i32")));
            HostTensor scalar = f.read("scalar");
            assertArrayEquals(new long[0], scalar.shape());
            assertArrayEquals(new long[] {42}, scalar.toLongArray());
            assertArrayEquals(new long[] {0, 4}, f.read("empty").shape());
            assertArrayEquals(new float[] {3.0f}, f.read("\uD83D\uDE00face").toFloatArray());
            assertArrayEquals(new float[] {5.0f}, f.read("back\\slash/and\ttab\u0001\u007f").toFloatArray());
            assertEquals("h\u00e9llo \"q\" \\ \n \uD83D\uDE00 \u007f", f.metadata().get("note"));
            assertEquals(List.of("format", "note", "empty"), List.copyOf(f.metadata().keySet()));
        }
    }

    @Test
    void halfPrecisionReadsAsFloat32ExactlyAsTorchConvertsIt() {
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.io("st_mixed.safetensors"))) {
            for (String key : List.of("weight.f16", "weight.bf16")) {
                HostTensor converted = f.readFloat32(key);
                HostTensor torch = f.read(key + ".as_f32");
                assertEquals(DataType.FLOAT32, converted.dataType());
                assertArrayEquals(torch.shape(), converted.shape());
                assertArrayEquals(Fixtures.floatBits(torch), Fixtures.floatBits(converted), key);
            }
            assertEquals(f.read("w32"), f.readFloat32("w32"));
        }
    }

    @Test
    void float64ReadsAsFloat32RoundedToNearest() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        b.putDouble(1.0 / 3).putDouble(-1e300).putDouble(Double.MIN_NORMAL).flip();
        Path p = dir.resolve("f64.safetensors");
        SafetensorsWriter.write(p, Map.of("d", new HostTensor(DataType.FLOAT64, new long[] {3}, b)));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertArrayEquals(new float[] {(float) (1.0 / 3), Float.NEGATIVE_INFINITY, 0.0f},
                    f.readFloat32("d").toFloatArray());
        }
    }

    @Test
    void integerTensorsAreRefusedAsFloat32() {
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.io("st_mixed.safetensors"))) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> f.readFloat32("idx"));
            assertTrue(e.getMessage().contains("'idx' is stored as I64, not a floating type"), e.getMessage());
            assertThrows(ModelFormatException.class, () -> f.readFloat32("mask"));
        }
    }

    @Test
    void rawViewIsAReadOnlyLittleEndianSliceOfTheMappingThatOutlivesClose() {
        ByteBuffer view;
        HostTensor copy;
        SafetensorsFile f = SafetensorsFile.open(Fixtures.io("st_mixed.safetensors"));
        try (f) {
            view = f.rawView("idx");
            copy = f.read("idx");
            assertTrue(view.isReadOnly());
            assertTrue(view.isDirect(), "a view of the mapping, not a copy");
            assertEquals(ByteOrder.LITTLE_ENDIAN, view.order());
            assertEquals(0, view.position());
            assertEquals(40, view.remaining());
            assertEquals(copy, new HostTensor(f.storedType("idx"), f.shape("idx").getShape(), view));
        }
        assertEquals(Long.MIN_VALUE, view.getLong(24));
        assertArrayEquals(new long[] {0, -1, 1L << 40, Long.MIN_VALUE, Long.MAX_VALUE}, copy.toLongArray());
        assertThrows(IllegalStateException.class, () -> f.read("idx"));
        assertThrows(IllegalStateException.class, f::keys);
    }

    @Test
    void aMissingKeyIsAModelFormatErrorNamingIt() {
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.io("st_mixed.safetensors"))) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> f.read("nope"));
            assertTrue(e.getMessage().contains("no tensor 'nope'"), e.getMessage());
            assertThrows(ModelFormatException.class, () -> f.shape("nope"));
        }
    }

    @Test
    void dataMappedInSeveralWindowsReadsTheSameAsOneMapping() {
        Path p = Fixtures.golden("model.safetensors");
        try (SafetensorsFile whole = SafetensorsFile.open(p);
                SafetensorsFile windowed = SafetensorsFile.open(p, 40_000)) {
            for (String key : whole.keys()) {
                assertEquals(whole.read(key), windowed.read(key), key);
            }
        }
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(p, 1000));
        assertTrue(e.getMessage().contains("cannot be mapped"), e.getMessage());
    }

    @Test
    void aFileOfNoTensorsHasNoKeys() {
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.io("st_empty.safetensors"))) {
            assertTrue(f.keys().isEmpty());
            assertTrue(f.metadata().isEmpty());
        }
    }

    // --- malformed files: each refused at open, naming the file and the problem

    @Test
    void aMissingFileIsRefused() {
        assertRefused(dir.resolve("absent.safetensors"), "no such file");
    }

    @Test
    void aFileShorterThanTheHeaderLengthIsRefused() throws IOException {
        Path p = Files.write(dir.resolve("short.safetensors"), new byte[] {1, 0, 0});
        assertRefused(p, "shorter than the 8-byte header length");
    }

    @Test
    void aHeaderLengthPastTheEndOfTheFileIsRefused() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN).putLong(100).put("{}  ".getBytes());
        Path p = Files.write(dir.resolve("past.safetensors"), b.array());
        assertRefused(p, "header length 100 runs past the end of the file (12 bytes)");
    }

    @Test
    void anAbsurdHeaderLengthIsRefused() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(-1);
        assertRefused(Files.write(dir.resolve("huge.safetensors"), b.array()), "is absurd");
        b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(200_000_000);
        assertRefused(Files.write(dir.resolve("huge2.safetensors"), b.array()), "header length 200000000 is absurd");
    }

    @Test
    void aHeaderThatIsNotJsonIsRefused() throws IOException {
        assertRefused(Fixtures.safetensors(dir.resolve("a.safetensors"), "{\"a\": {\"dtype\": ", new byte[0]),
                "not valid JSON");
        // the lenient parsing Gson does by default would accept these
        assertRefused(Fixtures.safetensors(dir.resolve("b.safetensors"), "{'a':1}", new byte[0]), "not valid JSON");
        assertRefused(Fixtures.safetensors(dir.resolve("c.safetensors"), "{}{}", new byte[0]), "not valid JSON");
        assertRefused(Fixtures.safetensors(dir.resolve("d.safetensors"), "[1,2]", new byte[0]), "not a JSON object");
        assertRefused(Fixtures.safetensors(dir.resolve("e.safetensors"), "", new byte[0]), "not valid JSON");
    }

    @Test
    void aHeaderThatIsNotUtf8IsRefused() throws IOException {
        byte[] header = {'{', '"', (byte) 0xFF, '"', ':', '1', '}', ' '};
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(8).put(header);
        assertRefused(Files.write(dir.resolve("latin.safetensors"), b.array()), "not valid UTF-8");
    }

    @Test
    void anEntryLackingDtypeShapeOrOffsetsIsRefused() throws IOException {
        assertRefused(header("{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4), "tensor 'w': header entry lacks 'dtype'");
        assertRefused(header("{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4), "lacks 'shape'");
        assertRefused(header("{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4), "lacks 'data_offsets'");
        assertRefused(header("{\"w\":[1,2]}", 0), "tensor 'w': header entry is not a JSON object");
    }

    @Test
    void anUnknownDtypeIsRefusedByName() throws IOException {
        assertRefused(header("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[4],\"data_offsets\":[0,4]}}", 4),
                "tensor 'w': unknown dtype 'F8_E4M3'");
    }

    @Test
    void offsetsOutOfRangeAreRefused() throws IOException {
        assertRefused(header("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 8),
                "tensor 'w': data_offsets [4, 12] run past the end of the data (8 bytes after the header)");
        assertRefused(header("{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,4]}}", 8),
                "data_offsets must be [begin, end] with 0 <= begin <= end");
        assertRefused(header("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 8),
                "data_offsets must be [begin, end]");
        assertRefused(header("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 8),
                "data_offsets must be [begin, end]");
    }

    @Test
    void offsetsThatDisagreeWithShapeAndDtypeAreRefused() throws IOException {
        assertRefused(header("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 12),
                "tensor 'w': data_offsets [0, 8] hold 8 bytes but F32[3] needs 12");
        assertRefused(header("{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],"
                + "\"data_offsets\":[0,8]}}", 8), "needs more than 2^63");
    }

    @Test
    void shapesThatAreNotNonNegativeIntegersAreRefused() throws IOException {
        for (String shape : List.of("[-1]", "[1.5]", "[1e3]", "[\"2\"]", "2", "[99999999999999999999]")) {
            assertRefused(header("{\"w\":{\"dtype\":\"U8\",\"shape\":" + shape + ",\"data_offsets\":[0,2]}}", 2),
                    "shape must be an array of non-negative integers");
        }
    }

    @Test
    void overlappingTensorsAreRefused() throws IOException {
        assertRefused(header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12),
                "tensors 'a' [0, 8) and 'b' [4, 12) overlap");
    }

    @Test
    void duplicateKeysAreRefused() throws IOException {
        String w = "{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}";
        assertRefused(header("{\"w\":" + w + ",\"w\":" + w + "}", 1), "duplicate key 'w'");
    }

    @Test
    void metadataThatIsNotStringsIsRefused() throws IOException {
        assertRefused(header("{\"__metadata__\":{\"n\":1}}", 0), "'__metadata__' value of 'n' is not a string");
        assertRefused(header("{\"__metadata__\":[]}", 0), "'__metadata__' must be an object of strings");
    }

    @Test
    void gapsBetweenTensorsAndTrailingBytesAreTolerated() throws IOException {
        Path p = header("{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[2,3]}}", 8);
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(1, f.read("a").numElements());
        }
    }

    private Path header(String json, int dataBytes) throws IOException {
        return Fixtures.safetensors(Files.createTempFile(dir, "bad", ".safetensors"), json, new byte[dataBytes]);
    }

    private static void assertRefused(Path p, String fragment) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(p).close());
        assertTrue(e.getMessage().startsWith(p.toString()), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
    }

    private static int[] ints(HostTensor t) {
        int[] out = new int[(int) t.numElements()];
        t.data().asIntBuffer().get(out);
        return out;
    }
}
