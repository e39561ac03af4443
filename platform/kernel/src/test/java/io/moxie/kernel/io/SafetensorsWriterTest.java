package io.moxie.kernel.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class SafetensorsWriterTest {
    @TempDir
    Path dir;

    /** Files written by the reference's st.py; rewriting what we read must reproduce them byte for byte. */
    @ParameterizedTest
    @ValueSource(strings = {"golden/cumo/tiny-noS2/model.safetensors", "fixtures/io/st_mixed.safetensors",
        "fixtures/io/st_f16_f32_i64.safetensors", "fixtures/io/st_empty.safetensors"})
    void rewritingAReferenceFileReproducesItByteForByte(String resource) throws IOException {
        Path original = Fixtures.resource(resource);
        Path copy = dir.resolve("copy.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(original)) {
            Map<String, HostTensor> tensors = new LinkedHashMap<>();
            for (String key : f.keys()) {
                tensors.put(key, f.read(key));
            }
            SafetensorsWriter.write(copy, tensors, f.metadata());
        }
        assertSameBytes(Files.readAllBytes(original), Files.readAllBytes(copy));
    }

    @Test
    void zeroCopyViewsOfAnotherFileWriteTheSameBytes() throws IOException {
        Path original = Fixtures.golden("model.safetensors");
        Path copy = dir.resolve("views.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(original)) {
            Map<String, HostTensor> views = new LinkedHashMap<>();
            for (String key : f.keys()) {
                views.put(key, new HostTensor(f.storedType(key), f.shape(key).getShape(), f.rawView(key)));
            }
            SafetensorsWriter.write(copy, views, f.metadata());
        }
        assertSameBytes(Files.readAllBytes(original), Files.readAllBytes(copy));
    }

    @Test
    void tensorsAreWrittenInPythonsKeyOrderWhateverTheMapOrder() throws IOException {
        Path original = Fixtures.io("st_mixed.safetensors");
        Path copy = dir.resolve("shuffled.safetensors");
        try (SafetensorsFile f = SafetensorsFile.open(original)) {
            List<String> keys = new ArrayList<>(f.keys());
            Collections.reverse(keys);
            Map<String, HostTensor> tensors = new LinkedHashMap<>();
            for (String key : keys) {
                tensors.put(key, f.read(key));
            }
            SafetensorsWriter.write(copy, tensors, f.metadata());
        }
        assertSameBytes(Files.readAllBytes(original), Files.readAllBytes(copy));
    }

    @Test
    void keysCompareByCodePointAsPythonDoesNotByUtf16Unit() {
        String fullwidth = "\uFF01";
        String emoji = "\uD83D\uDE00";
        assertTrue(fullwidth.compareTo(emoji) > 0, "Java's own order differs");
        assertTrue(SafetensorsWriter.compareCodePoints(fullwidth, emoji) < 0);
        assertTrue(SafetensorsWriter.compareCodePoints("ab", "abc") < 0);
        assertEquals(0, SafetensorsWriter.compareCodePoints("a\uD83D\uDE00", "a\uD83D\uDE00"));
    }

    @Test
    void headerIsCompactJsonPaddedWithSpacesToEightBytes() {
        Map<String, HostTensor> one = Map.of("x", HostTensor.ofFloats(new float[] {1, 2}, 2));
        String header = new String(SafetensorsWriter.header(one, Map.of("k", "v\u00e9")), StandardCharsets.US_ASCII);
        assertEquals("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"__metadata__\":{\"k\":\"v\\u00e9\"}}   ", header); // as json.dumps + st.py padding
        assertEquals(0, header.length() % 8);
    }

    @ParameterizedTest
    @EnumSource(SafetensorsDtype.class)
    void everyDtypeRoundTrips(SafetensorsDtype dtype) throws IOException {
        Path p = dir.resolve(dtype + ".safetensors");
        HostTensor matrix = Fixtures.randomTensor(dtype.dataType(), dtype.ordinal(), 3, 5);
        HostTensor scalar = Fixtures.randomTensor(dtype.dataType(), 99, new long[0]);
        HostTensor empty = Fixtures.randomTensor(dtype.dataType(), 0, 0, 7);
        SafetensorsWriter.write(p, Map.of("m", matrix, "s", scalar, "e", empty), Map.of("dtype", dtype.name()));
        try (SafetensorsFile f = SafetensorsFile.open(p)) {
            assertEquals(List.of("e", "m", "s"), List.copyOf(f.keys()));
            assertEquals(dtype.dataType(), f.storedType("m"));
            assertEquals(matrix, f.read("m"));
            assertEquals(scalar, f.read("s"));
            assertEquals(empty, f.read("e"));
            assertEquals(Map.of("dtype", dtype.name()), f.metadata());
        }
        String header = new String(Files.readAllBytes(p), StandardCharsets.US_ASCII);
        assertTrue(header.contains("\"dtype\":\"" + dtype.name() + "\""), header);
    }

    @Test
    void aTensorNamedLikeTheMetadataIsRefused() {
        Map<String, HostTensor> bad = Map.of("__metadata__", HostTensor.ofFloats(new float[] {1}, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafetensorsWriter.write(dir.resolve("x.safetensors"), bad));
        assertTrue(e.getMessage().contains("reserved for metadata"), e.getMessage());
    }

    @Test
    void aDtypeWithoutASafetensorsNameIsRefusedAndTheTargetKept() throws IOException {
        Path p = Files.writeString(dir.resolve("keep.safetensors"), "old");
        HostTensor complex = new HostTensor(DataType.COMPLEX64, new long[] {1},
                ByteBuffer.allocate(DataType.COMPLEX64.getNumOfBytes()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SafetensorsWriter.write(p, Map.of("c", complex)));
        assertTrue(e.getMessage().contains("tensor 'c' is COMPLEX64"), e.getMessage());
        assertEquals("old", Files.readString(p));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of(p), files.toList(), "no temporary file left behind");
        }
    }

    @Test
    void aWriteIntoAMissingDirectoryFailsWithIoException() {
        assertThrows(IOException.class, () -> SafetensorsWriter.write(dir.resolve("no/such/dir/x.safetensors"),
                Map.of("x", HostTensor.ofFloats(new float[] {1}, 1))));
    }

    private static void assertSameBytes(byte[] expected, byte[] actual) {
        int at = Arrays.mismatch(expected, actual);
        if (at >= 0) {
            int from = Math.max(0, at - 40);
            String e = new String(expected, from, Math.min(expected.length - from, 80), StandardCharsets.ISO_8859_1);
            String a = new String(actual, from, Math.min(actual.length - from, 80), StandardCharsets.ISO_8859_1);
            assertEquals(e, a, "first difference at byte " + at + " (lengths " + expected.length + ", "
                    + actual.length + ")");
        }
        assertArrayEquals(expected, actual);
    }
}
