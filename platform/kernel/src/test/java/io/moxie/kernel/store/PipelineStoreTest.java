package io.moxie.kernel.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moxie.api.MoxieException;
import io.moxie.kernel.pipeline.PipelineDefinition;
import io.moxie.kernel.pipeline.PipelineYaml;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PipelineStoreTest {
    private static final String YAML = """
            name: %s
            inputs:
              - {name: x, dtype: float32}
            stages:
              - {name: s, kind: identity, inputs: {x: x}}
            outputs:
              x: s.x
            """;

    @TempDir
    Path dir;

    private static PipelineDefinition definition(String name) {
        return new PipelineYaml().parse(YAML.formatted(name), "test", Map.of());
    }

    @Test
    void savedDefinitionIsReadBackAsWrittenAndListed() throws Exception {
        PipelineStore store = new PipelineStore(dir.resolve("conf/pipelines"));
        Path f = store.save(definition("alpha"));
        assertEquals(store.directory().resolve("alpha.yaml"), f);
        assertEquals(YAML.formatted("alpha"), Files.readString(f));
        store.save(definition("beta"));
        assertEquals(List.of("alpha", "beta"), store.names());
        assertTrue(store.contains("alpha"));
        assertEquals(YAML.formatted("beta"), store.read("beta").orElseThrow());
    }

    @Test
    void savingAgainReplacesAtomicallyAndLeavesNoTemporaryFiles() throws Exception {
        PipelineStore store = new PipelineStore(dir);
        store.save(definition("alpha"));
        String changed = YAML.formatted("alpha").replace("kind: identity", "kind: other");
        store.save(new PipelineYaml().parse(changed, "test", Map.of()));
        assertEquals(changed, store.read("alpha").orElseThrow());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("alpha.yaml"), files.map(p -> p.getFileName().toString()).toList());
        }
    }

    @Test
    void deleteRemovesTheFile() {
        PipelineStore store = new PipelineStore(dir);
        store.save(definition("alpha"));
        assertTrue(store.delete("alpha"));
        assertFalse(store.delete("alpha"));
        assertFalse(store.contains("alpha"));
        assertEquals(List.of(), store.names());
    }

    @Test
    void namesThatCouldEscapeTheFolderAreRefused() {
        PipelineStore store = new PipelineStore(dir);
        assertThrows(MoxieException.class, () -> store.delete("../etc/passwd"));
        assertFalse(store.contains("../x"));
    }

    @Test
    void failedWriteLeavesTheOldFileInPlace() throws Exception {
        PipelineStore store = new PipelineStore(dir);
        store.save(definition("alpha"));
        PipelineDefinition def = definition("alpha");
        PipelineDefinition blank = new PipelineDefinition(def.name(), def.description(), def.inputs(), def.stages(),
                def.outputs(), " ");
        assertThrows(MoxieException.class, () -> store.save(blank));
        assertEquals(YAML.formatted("alpha"), store.read("alpha").orElseThrow());
    }
}
