package io.moxie.kernel.io;

import ai.djl.ndarray.types.DataType;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * Test resources: the golden tiny-noS2 CuMo case (copied from the reference) and the fixtures that
 * {@code fixtures/io/make_fixtures.py} produced once with the reference's st.py and numpy.
 */
final class Fixtures {
    private Fixtures() {}

    static Path resource(String name) {
        URL url = Fixtures.class.getResource("/" + name);
        if (url == null) {
            throw new IllegalStateException("missing test resource " + name);
        }
        try {
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static Path golden(String file) {
        return resource("golden/cumo/tiny-noS2/" + file);
    }

    static Path io(String file) {
        return resource("fixtures/io/" + file);
    }

    /** Writes a safetensors file from a raw header (not padded) and data section. */
    static Path safetensors(Path file, String headerJson, byte[] data) throws IOException {
        byte[] header = headerJson.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length).put(header).put(data);
        Files.write(file, b.array());
        return file;
    }

    /** A tensor of random bytes: any bit pattern is a valid value of every dtype this package handles. */
    static HostTensor randomTensor(DataType type, long seed, long... shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        byte[] bytes = new byte[(int) n * type.getNumOfBytes()];
        new Random(seed).nextBytes(bytes);
        if (type == DataType.BOOLEAN) {
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] &= 1;
            }
        }
        return new HostTensor(type, shape, ByteBuffer.wrap(bytes));
    }

    static int[] floatBits(HostTensor t) {
        int[] out = new int[(int) t.numElements()];
        t.data().asIntBuffer().get(out);
        return out;
    }
}
