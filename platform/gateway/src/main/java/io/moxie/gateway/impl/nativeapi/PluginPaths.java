package io.moxie.gateway.impl.nativeapi;

import io.moxie.api.InvalidInputException;
import io.moxie.gateway.impl.GrpcErrors;
import io.vertx.grpc.common.GrpcStatus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Where plugin jars may be installed from: the kernel's plugins folder and the allow-listed directories. A remote
 * caller must not make the server load code from an arbitrary path, so paths are resolved to their real location
 * (following links) and must lie inside one of those directories.
 */
final class PluginPaths {
    private final List<Path> allowed;

    /**
     * @param pluginsDir the hot-deploy folder (relative names resolve against it), or null
     * @param extra further allowed directories
     */
    PluginPaths(Path pluginsDir, List<Path> extra) {
        List<Path> dirs = new ArrayList<>();
        if (pluginsDir != null) {
            dirs.add(pluginsDir);
        }
        dirs.addAll(extra);
        this.allowed = List.copyOf(dirs);
    }

    /**
     * Returns the real path of an installable jar.
     *
     * @param given a file name in the plugins folder, or an absolute path under an allowed directory
     * @throws io.vertx.grpc.server.StatusException PERMISSION_DENIED outside the allowed directories, NOT_FOUND
     *     for a missing file
     */
    Path resolve(String given) {
        if (given == null || given.isBlank()) {
            throw new InvalidInputException("give the path of a plugin jar");
        }
        if (!given.endsWith(".jar")) {
            throw new InvalidInputException("'" + given + "' is not a .jar file");
        }
        Path p = Path.of(given);
        if (!p.isAbsolute()) {
            if (allowed.isEmpty()) {
                throw GrpcErrors.status(GrpcStatus.PERMISSION_DENIED, "no plugins folder is configured");
            }
            p = allowed.get(0).resolve(p);
        }
        Path real;
        try {
            real = p.toRealPath();
        } catch (IOException e) {
            throw GrpcErrors.status(GrpcStatus.NOT_FOUND, "no such plugin jar: " + p);
        }
        for (Path dir : allowed) {
            try {
                if (Files.isDirectory(dir) && real.startsWith(dir.toRealPath()) && Files.isRegularFile(real)) {
                    return real;
                }
            } catch (IOException e) {
                // an allowed directory that vanished allows nothing
            }
        }
        throw GrpcErrors.status(GrpcStatus.PERMISSION_DENIED, "plugins are installed only from the plugins folder "
                + "or an allow-listed directory; " + given + " is in neither");
    }
}
