package io.moxie.kernel.io;

import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes tensors to a safetensors file byte for byte as the reference's writer ({@code st.py}'s {@code save})
 * does, so that Moxie's outputs (an upcycled checkpoint, say) can be compared with the reference's by their bytes:
 *
 * <ul>
 *   <li>tensors in key order, sorted by Unicode code point as Python sorts strings (not by {@link String#compareTo},
 *       which orders UTF-16 units and puts U+1F600 before U+FF01), data packed in that order without gaps;
 *   <li>the header as Python's {@code json.dumps(header, separators=(",", ":"))}: no spaces, non-ASCII and control
 *       characters as lower-case {@code \}{@code uXXXX} escapes, each entry as
 *       {@code {"dtype":..,"shape":[..],"data_offsets":[begin,end]}};
 *   <li>{@code "__metadata__"} last, in the map's iteration order, and only if there is any metadata;
 *   <li>the header padded with spaces to a multiple of 8 bytes.
 * </ul>
 *
 * Dtype names are F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8 and BOOL ({@code st.py} itself writes
 * only F32, F16, BF16, I64, I32, U8 and BOOL). Stateless and thread-safe.
 */
public final class SafetensorsWriter {
    private SafetensorsWriter() {}

    /** As {@link #write(Path, Map, Map)} without metadata. */
    public static void write(Path path, Map<String, HostTensor> tensors) throws IOException {
        write(path, tensors, Map.of());
    }

    /**
     * Writes {@code tensors} and {@code metadata} to {@code path}, replacing it atomically (a temporary sibling is
     * renamed over it). The tensors are read, not retained; they may be views of another open file.
     *
     * @throws IllegalArgumentException if a key is {@code "__metadata__"} or a tensor's dtype has no safetensors name
     * @throws IOException              if the file cannot be written (the target is then left as it was)
     */
    public static void write(Path path, Map<String, HostTensor> tensors, Map<String, String> metadata)
            throws IOException {
        List<String> order = sortedKeys(tensors);
        byte[] header = header(order, tensors, metadata);
        AtomicFileWriter.write(path, temporary -> {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                ByteBuffer length = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
                writeFully(channel, length.flip());
                writeFully(channel, ByteBuffer.wrap(header));
                for (String key : order) {
                    writeFully(channel, tensors.get(key).data());
                }
            }
        });
    }

    /** The padded JSON header {@code st.py} writes for these tensors; without the 8-byte length. */
    static byte[] header(Map<String, HostTensor> tensors, Map<String, String> metadata) {
        return header(sortedKeys(tensors), tensors, metadata);
    }

    private static byte[] header(List<String> order, Map<String, HostTensor> tensors, Map<String, String> metadata) {
        StringBuilder json = new StringBuilder("{");
        long offset = 0;
        for (String key : order) {
            HostTensor t = tensors.get(key);
            SafetensorsDtype dtype = SafetensorsDtype.fromDataType(t.dataType());
            if (dtype == null) {
                throw new IllegalArgumentException("tensor '" + key + "' is " + t.dataType().name()
                        + ", which safetensors cannot store (supported: " + SafetensorsDtype.supportedNames() + ")");
            }
            long bytes = t.data().remaining();
            if (json.length() > 1) {
                json.append(',');
            }
            appendString(json, key);
            json.append(":{\"dtype\":\"").append(dtype.name()).append("\",\"shape\":[");
            long[] shape = t.shape();
            for (int i = 0; i < shape.length; i++) {
                json.append(i > 0 ? "," : "").append(shape[i]);
            }
            json.append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        if (!metadata.isEmpty()) {
            if (json.length() > 1) {
                json.append(',');
            }
            json.append("\"").append(SafetensorsHeader.METADATA_KEY).append("\":{");
            boolean first = true;
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                json.append(first ? "" : ",");
                appendString(json, e.getKey());
                json.append(':');
                appendString(json, e.getValue());
                first = false;
            }
            json.append('}');
        }
        json.append('}');
        while (json.length() % 8 != 0) {
            json.append(' ');
        }
        // every character is ASCII after escaping, so characters and bytes agree
        return json.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static List<String> sortedKeys(Map<String, HostTensor> tensors) {
        List<String> keys = new ArrayList<>(tensors.keySet());
        for (String key : keys) {
            if (key.equals(SafetensorsHeader.METADATA_KEY)) {
                throw new IllegalArgumentException("'" + key + "' is reserved for metadata and cannot name a tensor");
            }
        }
        keys.sort(SafetensorsWriter::compareCodePoints);
        return keys;
    }

    /** Python's string order: by code point. */
    static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }

    /** Appends {@code s} as Python's json.dumps with ensure_ascii does: only printable ASCII stays literal. */
    private static void appendString(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c >= 0x20 && c <= 0x7E) {
                        out.append(c);
                    } else {
                        // a code point above U+FFFF is already two UTF-16 units here, as Python writes it
                        out.append(String.format("\\u%04x", (int) c));
                    }
                }
            }
        }
        out.append('"');
    }

    private static void writeFully(FileChannel channel, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            channel.write(buf);
        }
    }
}
