package io.moxie.kernel.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PipelineYamlTest {
    private final PipelineYaml yaml = new PipelineYaml();

    private static final String VALID = """
            name: demo
            inputs:
              - {name: x, dtype: float32, shape: [-1]}
            stages:
              - name: second
                kind: scale
                inputs: {x: first.y}
              - name: first
                kind: scale
                inputs: {x: x}
                config: {factor: 3}
            outputs:
              y: second.y
            """;

    @Test
    void parsesAndOrdersStagesByDependency() {
        PipelineDefinition def = yaml.parse(VALID, "test", Map.of());
        assertEquals("demo", def.name());
        assertEquals(List.of("first", "second"), def.stages().stream().map(StageDefinition::name).toList());
        assertEquals(3, def.stage("first").config().get("factor"));
        assertEquals("second.y", def.outputs().get("y"));
    }

    @Test
    void substitutesPlaceholders() {
        PipelineDefinition def = yaml.parse(VALID.replace("name: demo", "name: ${pipeline}"), "t", Map.of("pipeline", "p1"));
        assertEquals("p1", def.name());
    }

    @Test
    void cycleIsRejectedNamingTheStages() {
        String text = VALID.replace("inputs: {x: x}", "inputs: {x: second.y}");
        var e = assertThrows(PipelineDefinitionException.class, () -> yaml.parse(text, "t", Map.of()));
        assertTrue(e.getMessage().contains("cycle") && e.getMessage().contains("first"), e.getMessage());
    }

    @Test
    void unknownSourceIsRejectedNamingStageAndPort() {
        String text = VALID.replace("inputs: {x: x}", "inputs: {x: nope}");
        var e = assertThrows(PipelineDefinitionException.class, () -> yaml.parse(text, "t", Map.of()));
        assertTrue(e.getMessage().contains("stage 'first'") && e.getMessage().contains("'nope'"), e.getMessage());
    }

    @Test
    void unknownStageInOutputIsRejected() {
        String text = VALID.replace("y: second.y", "y: third.y");
        var e = assertThrows(PipelineDefinitionException.class, () -> yaml.parse(text, "t", Map.of()));
        assertTrue(e.getMessage().contains("output 'y'"), e.getMessage());
    }

    @Test
    void wildcardMustEndBothSides() {
        String text = VALID.replace("y: second.y", "y*: second.y");
        var e = assertThrows(PipelineDefinitionException.class, () -> yaml.parse(text, "t", Map.of()));
        assertTrue(e.getMessage().contains("'*'"), e.getMessage());
    }

    @Test
    void unknownFieldIsRejected() {
        String text = VALID.replace("kind: scale\n    inputs: {x: x}", "kind: scale\n    colour: red\n    inputs: {x: x}");
        var e = assertThrows(PipelineDefinitionException.class, () -> yaml.parse(text, "t", Map.of()));
        assertTrue(e.getMessage().contains("unknown field 'colour'") && e.getMessage().contains("stage 'first'"), e.getMessage());
    }

    @Test
    void missingKindIsRejected() {
        String text = VALID.replace("    kind: scale\n    inputs: {x: x}", "    inputs: {x: x}");
        var e = assertThrows(PipelineDefinitionException.class, () -> yaml.parse(text, "t", Map.of()));
        assertTrue(e.getMessage().contains("stage 'first'") && e.getMessage().contains("'kind' is required"), e.getMessage());
    }

    @Test
    void invalidYamlIsRejectedWithItsSource() {
        var e = assertThrows(PipelineDefinitionException.class, () -> yaml.parse("name: [", "my.yaml", Map.of()));
        assertTrue(e.getMessage().startsWith("my.yaml: not valid YAML"), e.getMessage());
    }

    private static final String MOE = """
            name: moe
            inputs: [{name: x, dtype: float32}]
            stages:
              - name: s
                kind: moe
                router: topk
                experts: EXPERTS
                inputs: {x: x}
            outputs: {y: s.y}
            """;

    @Test
    void implementationsAreOneNameOrAPreferenceList() {
        StageDefinition single = yaml.parse(MOE.replace("EXPERTS", "grouped-mlp"), "t", Map.of()).stage("s");
        assertEquals(List.of("grouped-mlp"), single.experts());
        assertEquals(List.of("topk"), single.router());

        StageDefinition listed = yaml.parse(MOE.replace("EXPERTS", "[grouped-mlp-blas, grouped-mlp]"), "t", Map.of())
                .stage("s");
        assertEquals(List.of("grouped-mlp-blas", "grouped-mlp"), listed.experts());

        StageDefinition block = yaml.parse(MOE.replace("experts: EXPERTS", "experts:\n      - swiglu-blas\n      - swiglu")
                .replace("router: topk", "router: [topk]"), "t", Map.of()).stage("s");
        assertEquals(List.of("swiglu-blas", "swiglu"), block.experts());
        assertEquals(List.of("topk"), block.router());

        StageDefinition dense = yaml.parse(VALID, "t", Map.of()).stage("first");
        assertTrue(dense.router().isEmpty() && dense.experts().isEmpty());
    }

    @Test
    void badPreferenceListsAreRejectedNamingTheStage() {
        for (String[] c : new String[][] {
            {"[]", "empty list"}, {"[mlp, mlp]", "lists 'mlp' twice"}, {"{name: mlp}", "a list of them"},
            {"[mlp, [grouped-mlp]]", "a list of them"}}) {
            var e = assertThrows(PipelineDefinitionException.class,
                    () -> yaml.parse(MOE.replace("EXPERTS", c[0]), "t", Map.of()), c[0]);
            assertTrue(e.getMessage().contains("stage 's'") && e.getMessage().contains("'experts'")
                    && e.getMessage().contains(c[1]), c[0] + ": " + e.getMessage());
        }
    }
}
