package io.moxie.encoders.pointcloud.decode;

import java.nio.charset.StandardCharsets;

/** Whitespace-separated tokens of an ASCII body, read in order. One reader, one thread. */
final class AsciiTokens {
    private final byte[] bytes;
    private int at;

    AsciiTokens(byte[] bytes, int start) {
        this.bytes = bytes;
        this.at = start;
    }

    /**
     * Returns the next token.
     *
     * @throws io.moxie.api.InvalidInputException when the body ends first ({@code where} names what was being read)
     */
    String next(String where) {
        while (at < bytes.length && isSpace(bytes[at])) {
            at++;
        }
        if (at == bytes.length) {
            throw PlyReader.truncated(where + " is missing");
        }
        int start = at;
        while (at < bytes.length && !isSpace(bytes[at])) {
            at++;
        }
        return new String(bytes, start, at - start, StandardCharsets.US_ASCII);
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }
}
