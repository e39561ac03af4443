package io.moxie.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
    @Test
    void appendsSoThatRunsCollectInOneFile(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("report.md");
        Report first = new Report();
        first.line("## first");
        first.appendTo(file);
        Report second = new Report();
        second.line("## second");
        second.line("");
        second.appendTo(file);
        assertEquals("## first\n## second\n\n", Files.readString(file));
    }
}
