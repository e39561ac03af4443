package io.moxie.kernel.store;

import io.moxie.api.MoxieException;
import io.moxie.kernel.pipeline.PipelineDefinition;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Persists the pipeline definitions applied through the admin API in the pipelines folder ({@code conf/pipelines/}),
 * one {@code <name>.yaml} per pipeline holding the definition's text as written, so that the kernel deploys them
 * again at its next start.
 *
 * <p>Writes are atomic: the text goes to a hidden temporary sibling, is synced, and is renamed over the target, so
 * a crash or a concurrent start-up scan sees the old file or the new one, never half of one. Temporary files do not
 * end in {@code .yaml}, so the start-up scan ignores any a crash leaves behind.
 *
 * <p>Thread-safe: writers of one store are serialised; the file system arbitrates between processes.
 */
public final class PipelineStore {
    // Same rule as pipeline names (PipelineYaml): also keeps a name from escaping the folder.
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final String SUFFIX = ".yaml";

    private final Path dir;

    /**
     * @param dir the pipelines folder; created on the first save if missing
     */
    public PipelineStore(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    /** Returns the folder the store writes to. */
    public Path directory() {
        return dir;
    }

    /**
     * Persists a definition under its name, replacing an earlier one.
     *
     * @return the file written
     * @throws MoxieException if the folder cannot be written; nothing is changed then
     */
    public synchronized Path save(PipelineDefinition definition) {
        String text = definition.yaml();
        if (text == null || text.isBlank()) {
            throw new MoxieException("pipeline '" + definition.name() + "' has no definition text to persist");
        }
        Path target = file(definition.name());
        Path temporary = dir.resolve("." + definition.name() + "." + UUID.randomUUID() + ".tmp");
        try {
            Files.createDirectories(dir);
            Files.writeString(temporary, text, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE);
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            try {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
            return target;
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temporary);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new MoxieException("cannot persist pipeline '" + definition.name() + "' in " + dir + ": " + e, e);
        }
    }

    /**
     * Removes a persisted definition.
     *
     * @return whether there was one
     */
    public synchronized boolean delete(String name) {
        try {
            boolean removed = Files.deleteIfExists(file(name));
            // a definition may also have been written by hand with the .yml spelling
            removed |= Files.deleteIfExists(dir.resolve(name + ".yml"));
            return removed;
        } catch (IOException e) {
            throw new MoxieException("cannot delete pipeline '" + name + "' from " + dir + ": " + e, e);
        }
    }

    /** Returns the persisted text of a pipeline, if any. */
    public Optional<String> read(String name) {
        for (Path f : List.of(file(name), dir.resolve(name + ".yml"))) {
            if (Files.isRegularFile(f)) {
                try {
                    return Optional.of(Files.readString(f, StandardCharsets.UTF_8));
                } catch (IOException e) {
                    throw new MoxieException("cannot read " + f + ": " + e, e);
                }
            }
        }
        return Optional.empty();
    }

    /** Returns whether a definition of that name is persisted. */
    public boolean contains(String name) {
        return NAME.matcher(name).matches()
                && (Files.isRegularFile(file(name)) || Files.isRegularFile(dir.resolve(name + ".yml")));
    }

    /** Returns the names of the persisted definitions, sorted. */
    public List<String> names() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                String n = f.getFileName().toString();
                if (n.startsWith(".")) {
                    continue;
                }
                if (n.endsWith(SUFFIX)) {
                    out.add(n.substring(0, n.length() - SUFFIX.length()));
                } else if (n.endsWith(".yml")) {
                    out.add(n.substring(0, n.length() - 4));
                }
            }
        } catch (IOException e) {
            throw new MoxieException("cannot list pipelines in " + dir + ": " + e, e);
        }
        return out;
    }

    private Path file(String name) {
        if (!NAME.matcher(name).matches()) {
            throw new MoxieException("'" + name + "' is not a valid pipeline name");
        }
        return dir.resolve(name + SUFFIX);
    }
}
