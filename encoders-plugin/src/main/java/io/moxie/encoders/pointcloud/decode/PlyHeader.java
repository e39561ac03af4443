package io.moxie.encoders.pointcloud.decode;

import io.moxie.api.InvalidInputException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A parsed PLY header: the format, the elements with their properties in file order, and where the body starts.
 *
 * @param binary true for {@code binary_little_endian}, false for {@code ascii}
 * @param elements the elements in file order
 * @param bodyOffset the index of the first body byte
 */
record PlyHeader(boolean binary, List<Element> elements, int bodyOffset) {
    /** Headers beyond this size are refused rather than scanned for {@code end_header}. */
    private static final int MAX_HEADER_BYTES = 1 << 16;

    /** A property: scalar when {@code countType} is null, else a list of {@code type} preceded by its length. */
    record Property(String name, PlyType type, PlyType countType) {
        boolean isList() {
            return countType != null;
        }
    }

    /** An element (vertex, face, ...) with its row count and properties. */
    record Element(String name, long count, List<Property> properties) {
        Property property(String name) {
            return properties.stream().filter(p -> p.name().equals(name)).findFirst().orElse(null);
        }

        boolean hasLists() {
            return properties.stream().anyMatch(Property::isList);
        }

        /** The byte size of a row; only for elements without list properties. */
        int rowBytes() {
            return properties.stream().mapToInt(p -> p.type().bytes()).sum();
        }
    }

    /**
     * Parses the header at the start of {@code bytes} (which start with {@code ply}).
     *
     * @throws InvalidInputException naming the line at fault
     */
    static PlyHeader parse(byte[] bytes) {
        int end = headerEnd(bytes);
        String text = new String(bytes, 0, end, StandardCharsets.US_ASCII);
        String[] lines = text.split("\r?\n", -1);
        if (!lines[0].trim().equals("ply")) {
            throw bad("does not start with the line 'ply'");
        }
        Boolean binary = null;
        List<String> elementNames = new ArrayList<>();
        List<Long> counts = new ArrayList<>();
        List<List<Property>> properties = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i].trim();
            String[] w = line.split("\\s+");
            String where = "header line " + (i + 1) + " '" + line + "'";
            switch (w[0]) {
                case "end_header" -> {
                    if (binary == null) {
                        throw bad("header has no 'format' line");
                    }
                    List<Element> elements = new ArrayList<>();
                    for (int e = 0; e < elementNames.size(); e++) {
                        elements.add(new Element(elementNames.get(e), counts.get(e), List.copyOf(properties.get(e))));
                    }
                    return new PlyHeader(binary, List.copyOf(elements), end);
                }
                case "", "comment", "obj_info" -> {
                    // free text
                }
                case "format" -> binary = format(w, where);
                case "element" -> {
                    if (w.length != 3) {
                        throw bad(where + ": expected 'element NAME COUNT'");
                    }
                    elementNames.add(w[1]);
                    counts.add(count(w[2], where));
                    properties.add(new ArrayList<>());
                }
                case "property" -> {
                    if (properties.isEmpty()) {
                        throw bad(where + ": property before any element");
                    }
                    properties.get(properties.size() - 1).add(property(w, where, elementNames.get(elementNames.size() - 1)));
                }
                default -> throw bad(where + " is not a PLY header line");
            }
        }
        throw bad("header has no end_header line");
    }

    /** Returns the offset just past the {@code end_header} line. */
    private static int headerEnd(byte[] bytes) {
        byte[] marker = "end_header".getBytes(StandardCharsets.US_ASCII);
        int limit = Math.min(bytes.length, MAX_HEADER_BYTES);
        for (int i = 0; i + marker.length <= limit; i++) {
            if ((i == 0 || bytes[i - 1] == '\n') && matches(bytes, i, marker)) {
                int j = i + marker.length;
                while (j < bytes.length && (bytes[j] == ' ' || bytes[j] == '\t' || bytes[j] == '\r')) {
                    j++;
                }
                if (j < bytes.length && bytes[j] == '\n') {
                    return j + 1;
                }
                if (j == bytes.length) {
                    return j; // a header with no body at all: the body checks report what is missing
                }
            }
        }
        throw bad(bytes.length > MAX_HEADER_BYTES ? "no end_header line in the first " + MAX_HEADER_BYTES + " bytes"
                : "header has no end_header line (truncated?)");
    }

    private static boolean matches(byte[] bytes, int at, byte[] marker) {
        for (int k = 0; k < marker.length; k++) {
            if (bytes[at + k] != marker[k]) {
                return false;
            }
        }
        return true;
    }

    private static boolean format(String[] w, String where) {
        if (w.length != 3) {
            throw bad(where + ": expected 'format ascii|binary_little_endian 1.0'");
        }
        if (!w[2].equals("1.0")) {
            throw bad(where + ": unsupported PLY version " + w[2] + " (1.0 is)");
        }
        return switch (w[1]) {
            case "ascii" -> false;
            case "binary_little_endian" -> true;
            case "binary_big_endian" -> throw bad("format binary_big_endian is not supported (ascii and "
                    + "binary_little_endian are)");
            default -> throw bad(where + ": unknown format '" + w[1] + "'");
        };
    }

    private static long count(String word, String where) {
        try {
            long n = Long.parseLong(word);
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw bad(where + ": element count must be a non-negative integer");
    }

    private static Property property(String[] w, String where, String element) {
        if (w.length == 5 && w[1].equals("list")) {
            return new Property(w[4], type(w[3], w[4], element), type(w[2], w[4], element));
        }
        if (w.length != 3) {
            throw bad(where + ": expected 'property TYPE NAME' or 'property list COUNT_TYPE TYPE NAME'");
        }
        return new Property(w[2], type(w[1], w[2], element), null);
    }

    private static PlyType type(String word, String property, String element) {
        PlyType t = PlyType.parse(word);
        if (t == null) {
            throw bad("unsupported property type '" + word + "' (element '" + element + "', property '" + property + "')");
        }
        return t;
    }

    static InvalidInputException bad(String problem) {
        return new InvalidInputException("malformed PLY: " + problem);
    }
}
