package io.moxie.kernel.io;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import io.moxie.api.ModelFormatException;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Parses and validates a safetensors JSON header; knows nothing about files or mappings. */
final class SafetensorsHeader {
    static final String METADATA_KEY = "__metadata__";

    private static final Pattern NON_NEGATIVE_INTEGER = Pattern.compile("[0-9]+");

    /** One tensor's header entry; begin and end are offsets into the data section. */
    record Entry(String name, SafetensorsDtype dtype, long[] shape, long begin, long end) {
        long byteCount() {
            return end - begin;
        }
    }

    private final LinkedHashMap<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafetensorsHeader(LinkedHashMap<String, Entry> entries, Map<String, String> metadata) {
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Tensor entries in header order. */
    Map<String, Entry> entries() {
        return Collections.unmodifiableMap(entries);
    }

    Map<String, String> metadata() {
        return metadata;
    }

    /**
     * @param file       named in every error
     * @param dataLength bytes after the header, which every entry must lie within
     * @throws ModelFormatException naming the file and the key or problem
     */
    static SafetensorsHeader parse(byte[] header, String file, long dataLength) {
        String json = decodeUtf8(header, file);
        LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();
        Map<String, String> metadata = Map.of();
        try (JsonReader reader = new JsonReader(new StringReader(json))) {
            // STRICT: the lenient default would accept comments, single quotes and bare words
            reader.setStrictness(Strictness.STRICT);
            if (reader.peek() != JsonToken.BEGIN_OBJECT) {
                throw fail(file, "safetensors header is not a JSON object");
            }
            reader.beginObject();
            boolean sawMetadata = false;
            while (reader.hasNext()) {
                String key = reader.nextName();
                // Gson's object model keeps the last of two equal keys silently; a checkpoint must not be ambiguous
                if (entries.containsKey(key) || (sawMetadata && key.equals(METADATA_KEY))) {
                    throw fail(file, "duplicate key '" + key + "' in safetensors header");
                }
                JsonElement value = JsonParser.parseReader(reader);
                if (key.equals(METADATA_KEY)) {
                    sawMetadata = true;
                    metadata = parseMetadata(value, file);
                } else {
                    entries.put(key, parseEntry(key, value, file, dataLength));
                }
            }
            reader.endObject();
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw fail(file, "safetensors header has content after its JSON object");
            }
        } catch (JsonParseException | IOException | IllegalStateException e) {
            throw new ModelFormatException(file + ": safetensors header is not valid JSON: " + e.getMessage(), e);
        }
        checkNoOverlap(entries.values(), file);
        return new SafetensorsHeader(entries, metadata);
    }

    private static String decodeUtf8(byte[] header, String file) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(header))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(file + ": safetensors header is not valid UTF-8", e);
        }
    }

    private static Map<String, String> parseMetadata(JsonElement value, String file) {
        if (!value.isJsonObject()) {
            throw fail(file, "'" + METADATA_KEY + "' must be an object of strings, got " + value);
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonElement> e : value.getAsJsonObject().entrySet()) {
            JsonElement v = e.getValue();
            if (!(v.isJsonPrimitive() && v.getAsJsonPrimitive().isString())) {
                throw fail(file, "'" + METADATA_KEY + "' value of '" + e.getKey() + "' is not a string: " + v);
            }
            out.put(e.getKey(), v.getAsString());
        }
        return Collections.unmodifiableMap(out);
    }

    private static Entry parseEntry(String key, JsonElement value, String file, long dataLength) {
        String where = "tensor '" + key + "'";
        if (!value.isJsonObject()) {
            throw fail(file, where + ": header entry is not a JSON object: " + value);
        }
        JsonObject o = value.getAsJsonObject();
        for (String field : List.of("dtype", "shape", "data_offsets")) {
            if (!o.has(field)) {
                throw fail(file, where + ": header entry lacks '" + field + "'");
            }
        }
        JsonElement dtypeJson = o.get("dtype");
        if (!(dtypeJson.isJsonPrimitive() && dtypeJson.getAsJsonPrimitive().isString())) {
            throw fail(file, where + ": dtype is not a string: " + dtypeJson);
        }
        SafetensorsDtype dtype = SafetensorsDtype.fromName(dtypeJson.getAsString());
        if (dtype == null) {
            throw fail(file, where + ": unknown dtype '" + dtypeJson.getAsString() + "' (supported: "
                    + SafetensorsDtype.supportedNames() + ")");
        }
        long[] shape = nonNegativeIntegers(o.get("shape"), -1);
        if (shape == null) {
            throw fail(file, where + ": shape must be an array of non-negative integers, got " + o.get("shape"));
        }
        long[] offsets = nonNegativeIntegers(o.get("data_offsets"), 2);
        if (offsets == null || offsets[0] > offsets[1]) {
            throw fail(file, where + ": data_offsets must be [begin, end] with 0 <= begin <= end, got "
                    + o.get("data_offsets"));
        }
        long needed = byteCount(shape, dtype);
        if (needed < 0 || needed != offsets[1] - offsets[0]) {
            throw fail(file, where + ": data_offsets " + Arrays.toString(offsets) + " hold "
                    + (offsets[1] - offsets[0]) + " bytes but " + dtype + Arrays.toString(shape) + " needs "
                    + (needed < 0 ? "more than 2^63" : needed));
        }
        if (offsets[1] > dataLength) {
            throw fail(file, where + ": data_offsets " + Arrays.toString(offsets)
                    + " run past the end of the data (" + dataLength + " bytes after the header)");
        }
        return new Entry(key, dtype, shape, offsets[0], offsets[1]);
    }

    /** Returns the values, or null unless {@code json} is an array of non-negative integers of that length. */
    private static long[] nonNegativeIntegers(JsonElement json, int requiredLength) {
        if (!json.isJsonArray()) {
            return null;
        }
        JsonArray array = json.getAsJsonArray();
        if (requiredLength >= 0 && array.size() != requiredLength) {
            return null;
        }
        long[] out = new long[array.size()];
        for (int i = 0; i < out.length; i++) {
            JsonElement e = array.get(i);
            if (!(e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber())) {
                return null;
            }
            // the literal text: Gson would quietly truncate 1.5 or 1e3 to a long
            String text = ((JsonPrimitive) e).getAsString();
            if (!NON_NEGATIVE_INTEGER.matcher(text).matches()) {
                return null;
            }
            try {
                out[i] = Long.parseLong(text);
            } catch (NumberFormatException tooLarge) {
                return null;
            }
        }
        return out;
    }

    /** Returns product(shape) * item size, or -1 on overflow. */
    private static long byteCount(long[] shape, SafetensorsDtype dtype) {
        try {
            long n = dtype.itemSize();
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        } catch (ArithmeticException overflow) {
            return -1;
        }
    }

    private static void checkNoOverlap(Iterable<Entry> entries, String file) {
        List<Entry> byOffset = new ArrayList<>();
        for (Entry e : entries) {
            if (e.byteCount() > 0) {
                byOffset.add(e);
            }
        }
        byOffset.sort(Comparator.comparingLong(Entry::begin));
        for (int i = 1; i < byOffset.size(); i++) {
            Entry prev = byOffset.get(i - 1);
            Entry next = byOffset.get(i);
            if (next.begin() < prev.end()) {
                throw fail(file, "tensors '" + prev.name() + "' " + range(prev) + " and '" + next.name() + "' "
                        + range(next) + " overlap");
            }
        }
    }

    private static String range(Entry e) {
        return "[" + e.begin() + ", " + e.end() + ")";
    }

    private static ModelFormatException fail(String file, String problem) {
        return new ModelFormatException(file + ": " + problem);
    }
}
