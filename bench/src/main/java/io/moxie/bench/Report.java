package io.moxie.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A benchmark's markdown report. Each line is printed as soon as it is made, so a run of many minutes shows how far
 * it got, and kept, so the whole report can be appended to a file at the end ({@code --report}).
 */
final class Report {
    private final StringBuilder text = new StringBuilder();

    void line(String s) {
        System.out.println(s);
        System.out.flush();
        text.append(s).append('\n');
    }

    /** The lines every report starts with: what ran when, on which machine, at which commit, with which variables. */
    void heading(String title) {
        line("## " + title + ", " + Machine.now());
        line("");
        line("- machine: " + Machine.cpuModel() + "; load average at start " + Machine.load());
        line("- commit: " + Machine.commit() + "; OpenBLAS/OpenMP variables: " + Machine.openBlasEnvironment());
    }

    /** Appends the report to {@code file}, created if absent: several runs may collect into one file. */
    void appendTo(Path file) {
        try {
            Files.writeString(file, text, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
