package io.moxie.gateway.impl.auth;

import io.vertx.grpc.common.GrpcStatus;
import java.util.Set;

/**
 * Decides whether a call may proceed, from its method and its {@code authorization} header.
 *
 * <ul>
 *   <li>Admin calls (everything that changes state) need the token. Without a configured token they are refused,
 *       unless the server was started with {@code --insecure-admin}.</li>
 *   <li>Health checks are always open, so load balancers and probes need no secret.</li>
 *   <li>Everything else (inference, metadata, listings, reflection) is open unless the server requires the token
 *       for inference too.</li>
 * </ul>
 * A call without credentials that needs them gets {@code UNAUTHENTICATED}; wrong credentials, or an admin call to
 * a server with admin disabled, get {@code PERMISSION_DENIED}.
 */
public final class AccessPolicy {
    /** Full method paths that change the server's state. */
    static final Set<String> ADMIN_METHODS = Set.of(
            "/inference.GRPCInferenceService/RepositoryModelLoad",
            "/inference.GRPCInferenceService/RepositoryModelUnload",
            "/moxie.v1.Moxie/ApplyPipeline",
            "/moxie.v1.Moxie/DeletePipeline",
            "/moxie.v1.Moxie/SwapStage",
            "/moxie.v1.Moxie/InstallPlugin",
            "/moxie.v1.Moxie/UpdatePlugin",
            "/moxie.v1.Moxie/UninstallPlugin");
    private static final String HEALTH_PREFIX = "/grpc.health.v1.Health/";

    /** Why a call was refused. */
    public record Denial(GrpcStatus status, String message) {
    }

    private final BearerToken token;
    private final boolean insecureAdmin;
    private final boolean tokenForInference;

    /**
     * @param token the configured token, or null
     * @param insecureAdmin allow admin calls when no token is configured
     * @param tokenForInference require the token for non-admin calls too
     */
    public AccessPolicy(String token, boolean insecureAdmin, boolean tokenForInference) {
        this.token = token == null ? null : new BearerToken(token);
        this.insecureAdmin = insecureAdmin;
        this.tokenForInference = tokenForInference;
    }

    /** Returns whether a method is an admin call. */
    public static boolean isAdmin(String path) {
        return ADMIN_METHODS.contains(path);
    }

    /**
     * Checks one call.
     *
     * @param path the HTTP/2 path, {@code /package.Service/Method}
     * @param authorization the {@code authorization} header, or null
     * @return null when the call may proceed, else why not
     */
    public Denial check(String path, String authorization) {
        if (path != null && path.startsWith(HEALTH_PREFIX)) {
            return null;
        }
        boolean admin = isAdmin(path);
        if (!admin && !tokenForInference) {
            return null;
        }
        if (token == null) {
            if (admin && !insecureAdmin) {
                return new Denial(GrpcStatus.PERMISSION_DENIED, "admin calls are disabled: start the server with "
                        + "--token-file (or --insecure-admin on a trusted machine)");
            }
            return null;
        }
        if (authorization == null || authorization.isBlank()) {
            return new Denial(GrpcStatus.UNAUTHENTICATED, (admin ? "admin" : "this") + " call needs an "
                    + "'authorization: Bearer <token>' header");
        }
        if (!token.matches(authorization)) {
            return new Denial(GrpcStatus.PERMISSION_DENIED, "the bearer token is not valid");
        }
        return null;
    }
}
