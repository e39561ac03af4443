package io.moxie.kernel.io;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Parses the subset of Python literal syntax that .npy headers use (what numpy reads with
 * {@code ast.literal_eval}): dicts, tuples, lists, strings, integers, True, False and None. Values come back as
 * {@link Map} (insertion order), {@link Tuple}, {@link List}, {@link String}, {@link Long}, {@link Boolean} and null.
 */
final class PythonLiteral {
    /** A Python tuple; kept apart from a list because numpy insists the shape is a tuple. */
    record Tuple(List<Object> items) {}

    private static final int MAX_DEPTH = 32;

    private final String text;
    private int pos;
    private int depth;

    private PythonLiteral(String text) {
        this.text = text;
    }

    /**
     * @throws IllegalArgumentException describing the first syntax error and its position
     */
    static Object parse(String text) {
        PythonLiteral p = new PythonLiteral(text);
        Object value = p.value();
        p.skipSpace();
        if (p.pos != text.length()) {
            throw p.error("unexpected text after the literal");
        }
        return value;
    }

    private Object value() {
        skipSpace();
        if (pos >= text.length()) {
            throw error("unexpected end of text");
        }
        char c = text.charAt(pos);
        switch (c) {
            case '{' -> {
                return nested(this::dict);
            }
            case '(' -> {
                return nested(this::parenthesised);
            }
            case '[' -> {
                return nested(() -> sequence('[', ']').values());
            }
            case '\'', '"' -> {
                return string();
            }
            default -> {
                // a word or a number, below
            }
        }
        if (c == 'u' && pos + 1 < text.length() && (text.charAt(pos + 1) == '\'' || text.charAt(pos + 1) == '"')) {
            pos++; // Python 2's u'...' strings
            return string();
        }
        if (c == '-' || c == '+' || Character.isDigit(c)) {
            return integer();
        }
        String word = word();
        return switch (word) {
            case "True" -> Boolean.TRUE;
            case "False" -> Boolean.FALSE;
            case "None" -> null;
            default -> throw error("unsupported literal '" + word + "'");
        };
    }

    /** Bounds recursion: a hostile header of a million '(' must fail as a syntax error, not a StackOverflowError. */
    private Object nested(Supplier<Object> container) {
        if (++depth > MAX_DEPTH) {
            throw error("literal nested deeper than " + MAX_DEPTH);
        }
        Object value = container.get();
        depth--;
        return value;
    }

    private Map<Object, Object> dict() {
        Map<Object, Object> out = new LinkedHashMap<>();
        pos++; // '{'
        while (true) {
            skipSpace();
            if (peek() == '}') {
                pos++;
                return out;
            }
            Object key = value();
            skipSpace();
            expect(':');
            out.put(key, value());
            skipSpace();
            if (peek() == ',') {
                pos++;
            } else if (peek() != '}') {
                throw error("expected ',' or '}'");
            }
        }
    }

    /** {@code (x)} is x itself; only a comma, or nothing, makes a tuple. */
    private Object parenthesised() {
        Items items = sequence('(', ')');
        if (items.values().size() == 1 && !items.sawComma()) {
            return items.values().get(0);
        }
        return new Tuple(Collections.unmodifiableList(items.values()));
    }

    private record Items(List<Object> values, boolean sawComma) {}

    private Items sequence(char open, char close) {
        List<Object> out = new ArrayList<>();
        boolean sawComma = false;
        pos++; // open
        while (true) {
            skipSpace();
            if (peek() == close) {
                pos++;
                return new Items(out, sawComma);
            }
            out.add(value());
            skipSpace();
            if (peek() == ',') {
                pos++;
                sawComma = true;
            } else if (peek() != close) {
                throw error("expected ',' or '" + close + "'");
            }
        }
    }

    private String string() {
        char quote = text.charAt(pos++);
        StringBuilder out = new StringBuilder();
        while (true) {
            if (pos >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(pos++);
            if (c == quote) {
                return out.toString();
            }
            if (c == '\\') {
                if (pos >= text.length()) {
                    throw error("unterminated string");
                }
                char e = text.charAt(pos++);
                out.append(switch (e) {
                    case 'n' -> '\n';
                    case 't' -> '\t';
                    case 'r' -> '\r';
                    case '0' -> '\0';
                    default -> e;
                });
            } else {
                out.append(c);
            }
        }
    }

    private Long integer() {
        int start = pos;
        if (peek() == '-' || peek() == '+') {
            pos++;
        }
        int digits = pos;
        while (pos < text.length() && Character.isDigit(text.charAt(pos))) {
            pos++;
        }
        if (pos == digits) {
            throw error("expected digits");
        }
        String number = text.substring(start, pos);
        if (peek() == 'L' || peek() == 'l') {
            pos++; // Python 2 long suffix, found in old .npy files
        }
        if (peek() == '.' || peek() == 'e' || peek() == 'E' || peek() == 'j') {
            throw error("only integers are supported");
        }
        try {
            return Long.parseLong(number.startsWith("+") ? number.substring(1) : number);
        } catch (NumberFormatException e) {
            throw error("integer out of range: " + number);
        }
    }

    private String word() {
        int start = pos;
        while (pos < text.length() && Character.isLetterOrDigit(text.charAt(pos))) {
            pos++;
        }
        if (pos == start) {
            throw error("unexpected character '" + text.charAt(pos) + "'");
        }
        return text.substring(start, pos);
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        pos++;
    }

    private char peek() {
        return pos < text.length() ? text.charAt(pos) : '\0';
    }

    private void skipSpace() {
        while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
            pos++;
        }
    }

    private IllegalArgumentException error(String problem) {
        return new IllegalArgumentException(problem + " at offset " + pos);
    }
}
