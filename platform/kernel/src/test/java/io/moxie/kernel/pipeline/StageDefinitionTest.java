package io.moxie.kernel.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.moxie.kernel.registry.ComponentKind;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StageDefinitionTest {

    @Test
    void implementationsReturnsTheListOfTheKindAsked() {
        StageDefinition s = new StageDefinition("s", "two-moe", "moe", List.of("topk"),
                List.of("grouped-mlp-blas", "grouped-mlp"), Map.of(), Map.of());
        assertEquals(List.of("topk"), s.implementations(ComponentKind.ROUTER));
        assertEquals(List.of("grouped-mlp-blas", "grouped-mlp"), s.implementations(ComponentKind.EXPERTS));
        assertThrows(IllegalArgumentException.class, () -> s.implementations(ComponentKind.STAGE));
    }
}
