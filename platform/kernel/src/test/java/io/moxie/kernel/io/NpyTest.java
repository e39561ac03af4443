package io.moxie.kernel.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.types.DataType;
import io.moxie.api.InvalidInputException;
import io.moxie.kernel.tensor.HostTensor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class NpyTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"v1_f4.npy", "v2_f4.npy", "v3_f4.npy"})
    void formatVersionsOneTwoAndThreeReadAlike(String file) {
        HostTensor t = Npy.read(Fixtures.io(file));
        assertEquals(DataType.FLOAT32, t.dataType());
        assertArrayEquals(new long[] {2, 3}, t.shape());
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5}, t.toFloatArray());
    }

    @Test
    void aScalarHasAnEmptyShapeAndOneElement() {
        HostTensor t = Npy.read(Fixtures.io("scalar_i8.npy"));
        assertArrayEquals(new long[0], t.shape());
        assertArrayEquals(new long[] {-5}, t.toLongArray());
    }

    /** Every .npy numpy wrote in these archives must come back from our writer byte for byte. */
    @ParameterizedTest
    @ValueSource(strings = {"fixtures/io/numpy_dtypes.npz", "fixtures/io/numpy_dtypes_compressed.npz",
        "golden/cumo/tiny-noS2/inputs.npz", "golden/cumo/tiny-noS2/expected.npz"})
    void writingWhatNumpyWroteReproducesItsBytes(String archive) throws IOException {
        try (ZipFile zip = new ZipFile(Fixtures.resource(archive).toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            int count = 0;
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                byte[] numpy = zip.getInputStream(entry).readAllBytes();
                HostTensor t = Npy.read(new ByteArrayInputStream(numpy), entry.getName());
                assertArrayEquals(numpy, Npy.toBytes(t), entry.getName());
                count++;
            }
            assertTrue(count > 0);
        }
    }

    @ParameterizedTest
    @EnumSource(NpyDtype.class)
    void everyDtypeRoundTripsThroughAFile(NpyDtype dtype) throws IOException {
        for (long[] shape : new long[][] {{4, 3}, {}, {0}, {2, 1, 3}}) {
            HostTensor t = Fixtures.randomTensor(dtype.dataType(), dtype.ordinal(), shape);
            Path p = dir.resolve(dtype + Arrays.toString(shape) + ".npy");
            Npy.write(p, t);
            assertEquals(t, Npy.read(p));
            assertEquals(0, (Files.size(p) - t.data().remaining()) % 64, "data aligned to 64 bytes as numpy does");
        }
    }

    @Test
    void aTensorWithoutANumpyDtypeIsRefusedOnWrite() {
        HostTensor bf16 = Fixtures.randomTensor(DataType.BFLOAT16, 1, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Npy.toBytes(bf16));
        assertTrue(e.getMessage().contains("BFLOAT16 tensor has no .npy dtype"), e.getMessage());
    }

    // --- what numpy can write but Moxie refuses, each with a message saying why

    @Test
    void fortranOrderIsRefused() {
        assertRefused(Fixtures.io("fortran_f4.npy"), "fortran_order True");
    }

    @Test
    void bigEndianIsRefused() {
        assertRefused(Fixtures.io("bigendian_f4.npy"), "big-endian dtype '>f4' is not supported");
    }

    @Test
    void unsupportedDtypesAreRefusedByName() {
        assertRefused(Fixtures.io("complex_c8.npy"), "unsupported dtype '<c8'");
        assertRefused(Fixtures.io("unicode_U3.npy"), "unsupported dtype '<U3'");
        assertRefused(Fixtures.io("structured.npy"), "structured dtype");
    }

    // --- malformed files

    @Test
    void aMissingFileIsRefused() {
        assertRefused(dir.resolve("absent.npy"), "no such file");
    }

    @Test
    void aTruncatedFileIsRefused() throws IOException {
        byte[] good = Files.readAllBytes(Fixtures.io("v1_f4.npy"));
        assertRefused(write("tiny.npy", Arrays.copyOf(good, 5)), "truncated: 5 bytes");
        assertRefused(write("len.npy", Arrays.copyOf(good, 9)), "truncated inside the header length");
        assertRefused(write("header.npy", Arrays.copyOf(good, 40)), "truncated header: 30 of 118 bytes");
        assertRefused(write("data.npy", Arrays.copyOf(good, good.length - 3)),
                "data shorter than the shape says: <f4[2, 3] needs 24 bytes, found 21");
    }

    @Test
    void aBadMagicIsRefused() throws IOException {
        assertRefused(write("magic.npy", "PK\u0003\u0004 not numpy at all".getBytes(StandardCharsets.ISO_8859_1)),
                "bad magic");
    }

    @Test
    void anUnknownFormatVersionIsRefused() throws IOException {
        byte[] bytes = Files.readAllBytes(Fixtures.io("v1_f4.npy"));
        bytes[6] = 4;
        assertRefused(write("v4.npy", bytes), "unsupported .npy format version 4.0");
    }

    @Test
    void malformedHeadersAreRefused() throws IOException {
        assertRefused(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ", 0), "bad header");
        assertRefused(npy("[1, 2]", 0), "header is not a dict");
        assertRefused(npy("{'descr': '<f4', 'fortran_order': False}", 0), "header lacks 'shape'");
        assertRefused(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8),
                "unexpected header key x");
        assertRefused(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2)}", 8), "shape is not a tuple");
        assertRefused(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,)}", 8), "non-negative integer");
        assertRefused(npy("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,)}", 8), "fortran_order is not True");
        assertRefused(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296)}", 0),
                "too large");
    }

    @Test
    void bytesAfterTheDataAreRefused() throws IOException {
        byte[] good = Files.readAllBytes(Fixtures.io("v1_f4.npy"));
        assertRefused(write("long.npy", Arrays.copyOf(good, good.length + 4)), "bytes after the data of <f4[2, 3]");
    }

    @Test
    void oldPythonTwoHeadersWithLongSuffixesAreRead() throws IOException {
        HostTensor t = Npy.read(npy("{'descr': '|u1', 'fortran_order': False, 'shape': (2L, 1L), }", 2));
        assertArrayEquals(new long[] {2, 1}, t.shape());
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    /** A version 1.0 file with this header text and {@code dataBytes} zero bytes of data. */
    private Path npy(String header, int dataBytes) throws IOException {
        byte[] text = header.getBytes(StandardCharsets.ISO_8859_1);
        byte[] out = new byte[10 + text.length + dataBytes];
        byte[] magic = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) text.length, (byte) (text.length >>> 8)};
        System.arraycopy(magic, 0, out, 0, 10);
        System.arraycopy(text, 0, out, 10, text.length);
        return Files.write(Files.createTempFile(dir, "h", ".npy"), out);
    }

    private static void assertRefused(Path p, String fragment) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> Npy.read(p));
        assertTrue(e.getMessage().startsWith(p.toString()), "names the file: " + e.getMessage());
        assertTrue(e.getMessage().contains(fragment), "expected '" + fragment + "' in: " + e.getMessage());
    }
}
