package io.moxie.encoders.bench;

import ai.djl.ndarray.types.Shape;
import com.google.gson.Gson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes a model directory ({@code config.json} and one float32 {@code model.safetensors}) whose weights are drawn
 * from a seed per key (uniform, variance {@code 1/fan_in}; LayerNorm weights 1), so a benchmark loads real-sized
 * weights through the kernel's own loader without a gigabyte checkpoint in the repository. The tensors are streamed
 * to disk through one small buffer: writing leaves nothing behind in the benchmark's resident memory.
 */
final class RandomCheckpoint {
    private static final int CHUNK_FLOATS = 1 << 18;

    private RandomCheckpoint() {
    }

    /** Writes {@code config} and tensors of the given shapes into {@code dir} (created if needed). */
    static void write(Path dir, Map<String, ?> config, Map<String, Shape> shapes) throws IOException {
        Files.createDirectories(dir);
        Gson gson = new Gson();
        Files.writeString(dir.resolve("config.json"), gson.toJson(config));
        Map<String, Object> header = new LinkedHashMap<>();
        long offset = 0;
        for (Map.Entry<String, Shape> e : shapes.entrySet()) {
            long bytes = e.getValue().size() * Float.BYTES;
            header.put(e.getKey(), Map.of("dtype", "F32", "shape", e.getValue().getShape(),
                    "data_offsets", List.of(offset, offset + bytes)));
            offset += bytes;
        }
        StringBuilder json = new StringBuilder(gson.toJson(header));
        while (json.length() % 8 != 0) {
            json.append(' '); // the format's alignment: data starts on a multiple of 8
        }
        byte[] headerBytes = json.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer chunk = ByteBuffer.allocateDirect(CHUNK_FLOATS * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel out = FileChannel.open(dir.resolve("model.safetensors"), StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            writeFully(out, ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(headerBytes.length).flip());
            writeFully(out, ByteBuffer.wrap(headerBytes));
            for (Map.Entry<String, Shape> e : shapes.entrySet()) {
                String key = e.getKey();
                Shape shape = e.getValue();
                boolean unitNorm = key.endsWith("norm1.weight") || key.endsWith("norm2.weight")
                        || key.endsWith("layrnorm.weight") || key.endsWith("layernorm.weight");
                SplittableRandom random = new SplittableRandom(key.hashCode());
                double bound = Math.sqrt(3.0 / (shape.dimension() > 1 ? shape.size() / shape.get(0) : shape.get(0)));
                for (long left = shape.size(); left > 0; ) {
                    int n = (int) Math.min(left, CHUNK_FLOATS);
                    chunk.clear();
                    for (int i = 0; i < n; i++) {
                        chunk.putFloat(unitNorm ? 1f : (float) random.nextDouble(-bound, bound));
                    }
                    writeFully(out, chunk.flip());
                    left -= n;
                }
            }
        }
    }

    /** Deletes a directory written by {@link #write}. */
    static void delete(Path dir) throws IOException {
        Files.deleteIfExists(dir.resolve("model.safetensors"));
        Files.deleteIfExists(dir.resolve("config.json"));
        Files.deleteIfExists(dir);
    }

    private static void writeFully(FileChannel out, ByteBuffer bytes) throws IOException {
        while (bytes.hasRemaining()) {
            out.write(bytes);
        }
    }
}
