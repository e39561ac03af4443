package io.moxie.cli;

import io.moxie.gateway.GatewayOptions;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/** The options every command that talks to a server shares: where it is, the token, how long to wait. */
final class RemoteOptions {
    @Option(names = "--target", paramLabel = "HOST:PORT", defaultValue = "127.0.0.1:" + GatewayOptions.DEFAULT_PORT,
            description = "The server's gRPC address (default: ${DEFAULT-VALUE}).")
    String target;

    @Option(names = "--token-file", paramLabel = "FILE",
            description = "File whose first line is the bearer token (needed for admin commands).")
    Path tokenFile;

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "PT5M", converter = Durations.class,
            description = "Deadline of each call, e.g. 30s, 5m (default: 5m).")
    Duration timeout;

    /** Opens a connection; the caller closes it. */
    Remote connect() {
        String token = null;
        if (tokenFile != null) {
            try {
                token = GatewayOptions.readToken(tokenFile);
            } catch (IllegalArgumentException e) {
                throw new ExitCodes.UsageException("--token-file: " + e.getMessage());
            }
        }
        return Remote.connect(target, token, timeout);
    }
}
