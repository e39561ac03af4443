package io.moxie.gateway.impl.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** The configured admin token. Compares in constant time so response timing does not leak how much of a guess was right. */
public final class BearerToken {
    private static final String SCHEME = "bearer ";

    private final byte[] expected;

    public BearerToken(String token) {
        this.expected = token.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Returns whether an {@code authorization} header value carries this token ({@code Bearer <token>}, scheme
     * case-insensitive as RFC 6750 allows).
     */
    public boolean matches(String authorization) {
        if (authorization == null || authorization.length() < SCHEME.length()
                || !authorization.regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            return false;
        }
        byte[] given = authorization.substring(SCHEME.length()).trim().getBytes(StandardCharsets.UTF_8);
        // MessageDigest.isEqual takes time independent of where the arrays differ (JDK 6u17+)
        return MessageDigest.isEqual(expected, given);
    }
}
