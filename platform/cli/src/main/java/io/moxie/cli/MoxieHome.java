package io.moxie.cli;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the distribution folder: {@code -Dmoxie.home} (set by {@code bin/moxie}), else the folder above {@code lib/}. */
final class MoxieHome {
    private MoxieHome() {
    }

    static Path find() {
        String prop = System.getProperty("moxie.home");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        try {
            Path jar = Path.of(MoxieHome.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            Path home = jar.getParent().getParent();
            if (Files.isDirectory(home.resolve("bundles"))) {
                return home;
            }
        } catch (URISyntaxException | RuntimeException e) {
            // fall through to the error below
        }
        throw new ExitCodes.UsageException("cannot find the Moxie distribution: run bin/moxie or set -Dmoxie.home");
    }
}
