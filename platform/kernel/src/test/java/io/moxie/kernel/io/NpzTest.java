package io.moxie.kernel.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import io.moxie.api.InvalidInputException;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpzTest {
    @TempDir
    Path dir;

    @Test
    void goldenInputsHoldFloat32PixelValues() {
        Map<String, HostTensor> inputs = Npz.read(Fixtures.golden("inputs.npz"));
        assertEquals(List.of("pixel_values"), List.copyOf(inputs.keySet()));
        HostTensor pixels = inputs.get("pixel_values");
        assertEquals(DataType.FLOAT32, pixels.dataType());
        assertArrayEquals(new long[] {2, 3, 32, 32}, pixels.shape());
        float[] v = pixels.toFloatArray();
        assertArrayEquals(new float[] {0.37841933965682983f, 0.9499303102493286f, -0.10061101615428925f},
                Arrays.copyOf(v, 3));
    }

    @Test
    void goldenExpectedOutputsKeepArchiveOrderShapesAndTypes() {
        Map<String, HostTensor> expected = Npz.read(Fixtures.golden("expected.npz"));
        assertEquals(List.of("vision_features", "projected", "router_indices_layer0", "router_weights_layer0",
                "router_indices_layer1", "router_weights_layer1", "projector_router_indices",
                "projector_router_weights"), List.copyOf(expected.keySet()));
        HostTensor projected = expected.get("projected");
        assertEquals(DataType.FLOAT32, projected.dataType());
        assertArrayEquals(new long[] {2, 16, 64}, projected.shape());
        assertArrayEquals(new float[] {0.09396004676818848f, -0.9124622344970703f, 0.2836053669452667f},
                Arrays.copyOf(projected.toFloatArray(), 3));
        HostTensor indices = expected.get("router_indices_layer0");
        assertEquals(DataType.INT64, indices.dataType());
        assertArrayEquals(new long[] {2, 17, 2}, indices.shape());
        assertArrayEquals(new long[] {3, 1, 1, 2, 2, 0}, Arrays.copyOf(indices.toLongArray(), 6));
        assertArrayEquals(new long[] {2, 16, 48}, expected.get("vision_features").shape());
    }

    @Test
    void numpysCompressedAndStoredArchivesReadTheSame() {
        Map<String, HostTensor> stored = Npz.read(Fixtures.io("numpy_dtypes.npz"));
        Map<String, HostTensor> deflated = Npz.read(Fixtures.io("numpy_dtypes_compressed.npz"));
        assertEquals(stored, deflated);
        assertEquals(DataType.FLOAT16, stored.get("f2").dataType());
        assertEquals(DataType.BOOLEAN, stored.get("b1").dataType());
        assertEquals(DataType.UINT64, stored.get("u8").dataType());
        assertArrayEquals(new long[] {Long.MIN_VALUE, Long.MAX_VALUE}, stored.get("i8").toLongArray());
        assertArrayEquals(new long[0], stored.get("scalar").shape());
        assertArrayEquals(new float[] {3.5f}, stored.get("scalar").toFloatArray());
        assertArrayEquals(new long[] {1234567, 0}, stored.get("long_dim0").shape());
    }

    @Test
    void everyDtypeRoundTripsStoredAndCompressedInOrder() throws IOException {
        Map<String, HostTensor> arrays = new LinkedHashMap<>();
        for (NpyDtype d : NpyDtype.values()) {
            arrays.put("z_" + d.name(), Fixtures.randomTensor(d.dataType(), d.ordinal(), 3, 2));
        }
        arrays.put("a_scalar", Fixtures.randomTensor(DataType.FLOAT32, 7, new long[0]));
        arrays.put("dir/nested", Fixtures.randomTensor(DataType.INT64, 8, 0, 2));
        Path stored = dir.resolve("stored.npz");
        Path deflated = dir.resolve("deflated.npz");
        Npz.write(stored, arrays);
        Npz.writeCompressed(deflated, arrays);
        assertEquals(arrays, Npz.read(stored));
        assertEquals(List.copyOf(arrays.keySet()), List.copyOf(Npz.read(stored).keySet()));
        assertEquals(arrays, Npz.read(deflated));
        assertMethod(stored, ZipEntry.STORED);
        assertMethod(deflated, ZipEntry.DEFLATED);
    }

    @Test
    void writtenEntriesAreNumpysNpyBytesAndTheArchiveIsReproducible() throws IOException {
        Map<String, HostTensor> arrays = Npz.read(Fixtures.golden("expected.npz"));
        Path a = dir.resolve("a.npz");
        Path b = dir.resolve("b.npz");
        Npz.write(a, arrays);
        Npz.write(b, arrays);
        assertArrayEquals(Files.readAllBytes(a), Files.readAllBytes(b));
        try (ZipFile ours = new ZipFile(a.toFile());
                ZipFile numpy = new ZipFile(Fixtures.golden("expected.npz").toFile())) {
            for (String key : arrays.keySet()) {
                byte[] expected = numpy.getInputStream(numpy.getEntry(key + ".npy")).readAllBytes();
                assertArrayEquals(expected, ours.getInputStream(ours.getEntry(key + ".npy")).readAllBytes(), key);
                assertEquals(numpy.getEntry(key + ".npy").getTimeLocal(), ours.getEntry(key + ".npy").getTimeLocal());
            }
        }
    }

    @Test
    void aTensorWithoutANumpyDtypeIsRefusedNamingTheArray() {
        Map<String, HostTensor> arrays = Map.of("w", Fixtures.randomTensor(DataType.BFLOAT16, 1, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Npz.write(dir.resolve("x.npz"), arrays));
        assertTrue(e.getMessage().startsWith("array 'w': a BFLOAT16 tensor"), e.getMessage());
        assertTrue(Files.notExists(dir.resolve("x.npz")));
    }

    // --- malformed archives

    @Test
    void aMissingFileIsRefused() {
        assertRefused(dir.resolve("absent.npz"), "no such file");
    }

    @Test
    void aFileThatIsNotAZipIsRefused() throws IOException {
        Path p = Files.write(dir.resolve("text.npz"), "just some text, no archive".getBytes());
        assertRefused(p, "not a readable .npz (zip) archive");
    }

    @Test
    void aTruncatedArchiveIsRefused() throws IOException {
        byte[] whole = Files.readAllBytes(Fixtures.golden("expected.npz"));
        Path p = Files.write(dir.resolve("cut.npz"), Arrays.copyOf(whole, whole.length / 2));
        assertRefused(p, "not a readable .npz (zip) archive");
    }

    @Test
    void anEntryThatIsNotNpyIsRefusedByName() throws IOException {
        Path p = zip("other.npz", "readme.txt", "hello".getBytes());
        assertRefused(p, "entry 'readme.txt' is not a .npy array");
    }

    @Test
    void aBadArrayInsideIsRefusedNamingItsEntry() throws IOException {
        Path p = zip("bad.npz", "x.npy", "not numpy".getBytes());
        assertRefused(p, "entry 'x.npy': bad magic");
        byte[] good = Files.readAllBytes(Fixtures.io("v1_f4.npy"));
        Path shortData = zip("short.npz", "y.npy", Arrays.copyOf(good, good.length - 4));
        assertRefused(shortData, "entry 'y.npy': data shorter than the shape says");
    }

    private Path zip(String name, String entry, byte[] content) throws IOException {
        Path p = dir.resolve(name);
        try (OutputStream file = Files.newOutputStream(p); ZipOutputStream zip = new ZipOutputStream(file)) {
            zip.putNextEntry(new ZipEntry(entry));
            zip.write(content);
            zip.closeEntry();
        }
        return p;
    }

    private static void assertMethod(Path archive, int method) throws IOException {
        try (ZipFile zip = new ZipFile(archive.toFile())) {
            zip.stream().forEach(e -> assertEquals(method, e.getMethod(), e.getName()));
        }
    }

    private static void assertRefused(Path p, String fragment) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Npz.read(p));
        assertTrue(e.getMessage().startsWith(p.toString()), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
    }
}
