package io.moxie.kernel.felix;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Lists the Java packages of the jars (or class folders) that hold given classes, so the system bundle can export
 * exactly what the host has (DJL carries no OSGi metadata, and its package list changes between releases).
 */
final class HostPackages {
    private HostPackages() {
    }

    /** Returns {@code pkg;version=V} clauses for every package of the jars holding the anchor classes. */
    static String exportClauses(String version, Class<?>... anchors) {
        TreeSet<String> packages = new TreeSet<>();
        for (Class<?> anchor : anchors) {
            packages.addAll(packagesOf(anchor));
        }
        StringBuilder sb = new StringBuilder();
        for (String p : packages) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(p).append(";version=").append(version);
        }
        return sb.toString();
    }

    private static TreeSet<String> packagesOf(Class<?> anchor) {
        TreeSet<String> out = new TreeSet<>();
        try {
            Path location = Path.of(anchor.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isDirectory(location)) {
                try (Stream<Path> files = Files.walk(location)) {
                    files.filter(f -> f.toString().endsWith(".class"))
                            .map(f -> location.relativize(f.getParent()).toString().replace('/', '.'))
                            .filter(p -> !p.isEmpty() && !p.startsWith("META-INF"))
                            .forEach(out::add);
                }
            } else {
                try (JarFile jar = new JarFile(location.toFile())) {
                    Enumeration<JarEntry> entries = jar.entries();
                    while (entries.hasMoreElements()) {
                        String n = entries.nextElement().getName();
                        int slash = n.lastIndexOf('/');
                        if (n.endsWith(".class") && slash > 0 && !n.startsWith("META-INF")) {
                            out.add(n.substring(0, slash).replace('/', '.'));
                        }
                    }
                }
            }
        } catch (IOException | URISyntaxException | NullPointerException e) {
            // a class without a code source (e.g. from a custom loader): fall back to its own package
            out.add(anchor.getPackageName());
        }
        return out;
    }
}
