package io.moxie.gateway;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Validated settings of a {@link Gateway}. Start from {@link #defaults()} and change what differs with the
 * {@code with...} methods; each returns a copy.
 *
 * @param host the address both servers bind to ({@code 127.0.0.1} by default: nothing outside the machine)
 * @param port the gRPC port; 0 picks a free one
 * @param metricsPort the Prometheus metrics port; 0 picks a free one, -1 turns the metrics server off
 * @param maxMessageBytes the largest gRPC message accepted; larger ones get {@code RESOURCE_EXHAUSTED}
 * @param adminToken the bearer token admin calls need, or null when none is configured
 * @param insecureAdmin whether admin calls are allowed without a token when none is configured
 * @param requireTokenForInference whether inference and read-only calls need the token too
 * @param pluginDirs directories (besides the kernel's plugins folder) plugin jars may be installed from
 * @param drainTimeout how long {@link Gateway#close()} waits for requests in flight
 */
public record GatewayOptions(String host, int port, int metricsPort, int maxMessageBytes, String adminToken,
                             boolean insecureAdmin, boolean requireTokenForInference, List<Path> pluginDirs,
                             Duration drainTimeout) {

    /** The default gRPC port (Triton's, so KServe v2 tooling finds it). */
    public static final int DEFAULT_PORT = 8001;
    /** The default metrics port. */
    public static final int DEFAULT_METRICS_PORT = 8002;
    /** The default maximum message size: 64 MiB (a 576x1024 float32 tensor is 2.4 MB). */
    public static final int DEFAULT_MAX_MESSAGE_BYTES = 64 << 20;

    public GatewayOptions {
        Objects.requireNonNull(host, "host");
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
        }
        if (metricsPort < -1 || metricsPort > 65535) {
            throw new IllegalArgumentException("metrics port must be in [0, 65535] or -1 (off), got " + metricsPort);
        }
        if (maxMessageBytes < 1024) {
            throw new IllegalArgumentException("max message size must be at least 1024 bytes, got " + maxMessageBytes);
        }
        if (adminToken != null && adminToken.isBlank()) {
            throw new IllegalArgumentException("the admin token is empty");
        }
        pluginDirs = List.copyOf(pluginDirs);
        Objects.requireNonNull(drainTimeout, "drainTimeout");
    }

    /**
     * Loopback on the default ports, 64 MiB messages, no token (so admin calls are refused), 30 s drain.
     */
    public static GatewayOptions defaults() {
        return new GatewayOptions("127.0.0.1", DEFAULT_PORT, DEFAULT_METRICS_PORT, DEFAULT_MAX_MESSAGE_BYTES, null,
                false, false, List.of(), Duration.ofSeconds(30));
    }

    public GatewayOptions withHost(String value) {
        return new GatewayOptions(value, port, metricsPort, maxMessageBytes, adminToken, insecureAdmin,
                requireTokenForInference, pluginDirs, drainTimeout);
    }

    public GatewayOptions withPort(int value) {
        return new GatewayOptions(host, value, metricsPort, maxMessageBytes, adminToken, insecureAdmin,
                requireTokenForInference, pluginDirs, drainTimeout);
    }

    public GatewayOptions withMetricsPort(int value) {
        return new GatewayOptions(host, port, value, maxMessageBytes, adminToken, insecureAdmin,
                requireTokenForInference, pluginDirs, drainTimeout);
    }

    public GatewayOptions withMaxMessageBytes(int value) {
        return new GatewayOptions(host, port, metricsPort, value, adminToken, insecureAdmin,
                requireTokenForInference, pluginDirs, drainTimeout);
    }

    public GatewayOptions withAdminToken(String value) {
        return new GatewayOptions(host, port, metricsPort, maxMessageBytes, value, insecureAdmin,
                requireTokenForInference, pluginDirs, drainTimeout);
    }

    public GatewayOptions withInsecureAdmin(boolean value) {
        return new GatewayOptions(host, port, metricsPort, maxMessageBytes, adminToken, value,
                requireTokenForInference, pluginDirs, drainTimeout);
    }

    public GatewayOptions withRequireTokenForInference(boolean value) {
        return new GatewayOptions(host, port, metricsPort, maxMessageBytes, adminToken, insecureAdmin, value,
                pluginDirs, drainTimeout);
    }

    public GatewayOptions withPluginDirs(List<Path> value) {
        return new GatewayOptions(host, port, metricsPort, maxMessageBytes, adminToken, insecureAdmin,
                requireTokenForInference, value, drainTimeout);
    }

    public GatewayOptions withDrainTimeout(Duration value) {
        return new GatewayOptions(host, port, metricsPort, maxMessageBytes, adminToken, insecureAdmin,
                requireTokenForInference, pluginDirs, value);
    }

    /**
     * Reads the admin token from a file: its first line, trimmed. The file should be readable by its owner only.
     *
     * @throws IllegalArgumentException if the file cannot be read or holds no token
     */
    public static String readToken(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            String token = text.lines().findFirst().orElse("").trim();
            if (token.isEmpty()) {
                throw new IllegalArgumentException("token file " + file + " is empty");
            }
            return token;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read token file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Keeps the token out of logs and exception messages. */
    @Override
    public String toString() {
        return "GatewayOptions[host=" + host + ", port=" + port + ", metricsPort=" + metricsPort + ", maxMessageBytes="
                + maxMessageBytes + ", adminToken=" + (adminToken == null ? "none" : "***") + ", insecureAdmin="
                + insecureAdmin + ", requireTokenForInference=" + requireTokenForInference + ", pluginDirs="
                + pluginDirs + ", drainTimeout=" + drainTimeout + "]";
    }
}
