package io.moxie.kernel.pipeline;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pipeline as declared in YAML ({@code conf/pipelines/*.yaml}) or through the admin API: named request inputs,
 * stages wired port to port, and named outputs. Structurally validated on construction (names, wiring, cycles);
 * whether its components are installed and its weights fit is checked when it is compiled.
 *
 * @param name the pipeline's name (the model name clients call)
 * @param description free text
 * @param inputs the request inputs the pipeline accepts, by name
 * @param stages the stages in topological order (reordered from the declaration if needed)
 * @param outputs output name to source ({@code stage.port}); {@code prefix*: stage.portprefix*} maps every port of
 *                the stage starting with the port prefix, the prefix replaced (for a number of outputs that depends
 *                on the model, such as per-layer routing)
 * @param yaml the source text, kept to persist and show the definition as written
 * @param batching dynamic batching settings, or null when requests always run alone
 */
public record PipelineDefinition(String name, String description, List<InputDefinition> inputs,
                                 List<StageDefinition> stages, Map<String, String> outputs, String yaml,
                                 BatchingOptions batching) {

    /**
     * A request input.
     *
     * @param name its name
     * @param dataType its dtype name ({@code float32}, {@code int64}, {@code uint8}, ...)
     * @param shape its shape, {@code -1} for variable dimensions; null when any shape is accepted
     * @param optional whether a request may omit it
     * @param finite whether NaN and infinite values are refused ({@code INVALID_ARGUMENT} naming the input)
     * @param encodedAs another input that takes this one's value when it arrives as encoded bytes (uint8) rather
     *                  than as its declared dtype, e.g. {@code points} given as a PLY file goes to {@code points_file};
     *                  null for none
     */
    public record InputDefinition(String name, String dataType, long[] shape, boolean optional, boolean finite,
                                  String encodedAs) {
    }

    /** A definition without batching. */
    public PipelineDefinition(String name, String description, List<InputDefinition> inputs,
                              List<StageDefinition> stages, Map<String, String> outputs, String yaml) {
        this(name, description, inputs, stages, outputs, yaml, null);
    }

    public PipelineDefinition {
        inputs = List.copyOf(inputs);
        outputs = Map.copyOf(new LinkedHashMap<>(outputs));
        stages = topologicalOrder(name, inputs, stages, outputs);
    }

    /** Returns the stage called {@code stage}. */
    public StageDefinition stage(String stage) {
        return stages.stream().filter(s -> s.name().equals(stage)).findFirst()
                .orElseThrow(() -> new PipelineDefinitionException("pipeline '" + name + "' has no stage '" + stage
                        + "' (stages: " + stages.stream().map(StageDefinition::name).toList() + ")"));
    }

    /** Returns a copy with one stage replaced (same name). */
    public PipelineDefinition withStage(StageDefinition replacement) {
        List<StageDefinition> copy = new ArrayList<>();
        for (StageDefinition s : stages) {
            copy.add(s.name().equals(replacement.name()) ? replacement : s);
        }
        return new PipelineDefinition(name, description, inputs, copy, outputs, yaml, batching);
    }

    private static List<StageDefinition> topologicalOrder(String pipeline, List<InputDefinition> inputs,
                                                          List<StageDefinition> stages, Map<String, String> outputs) {
        String where = "pipeline '" + pipeline + "'";
        if (stages.isEmpty()) {
            throw new PipelineDefinitionException(where + ": no stages");
        }
        Set<String> inputNames = new HashSet<>();
        for (InputDefinition in : inputs) {
            if (!inputNames.add(in.name())) {
                throw new PipelineDefinitionException(where + ": input '" + in.name() + "' declared twice");
            }
        }
        Map<String, StageDefinition> byName = new LinkedHashMap<>();
        for (StageDefinition s : stages) {
            if (byName.put(s.name(), s) != null) {
                throw new PipelineDefinitionException(where + ": stage '" + s.name() + "' declared twice");
            }
        }
        Map<String, Set<String>> deps = new HashMap<>();
        for (StageDefinition s : stages) {
            Set<String> d = new HashSet<>();
            for (Map.Entry<String, String> port : s.inputs().entrySet()) {
                String source = port.getValue();
                int dot = source.indexOf('.');
                if (dot < 0) {
                    if (!inputNames.contains(source)) {
                        throw new PipelineDefinitionException(where + ", stage '" + s.name() + "': input '"
                                + port.getKey() + "' reads '" + source + "', which is neither a pipeline input "
                                + inputNames + " nor 'stage.port'");
                    }
                } else {
                    String from = source.substring(0, dot);
                    if (!byName.containsKey(from)) {
                        throw new PipelineDefinitionException(where + ", stage '" + s.name() + "': input '"
                                + port.getKey() + "' reads from unknown stage '" + from + "'");
                    }
                    d.add(from);
                }
            }
            deps.put(s.name(), d);
        }
        for (Map.Entry<String, String> out : outputs.entrySet()) {
            String source = out.getValue();
            int dot = source.indexOf('.');
            if (dot < 0 || !byName.containsKey(source.substring(0, dot))) {
                throw new PipelineDefinitionException(where + ": output '" + out.getKey() + "' reads '" + source
                        + "', expected 'stage.port' of a declared stage");
            }
            boolean wildName = out.getKey().endsWith("*");
            boolean wildSource = source.endsWith("*");
            if (wildName != wildSource || out.getKey().indexOf('*') != out.getKey().length() - 1 && wildName
                    || source.indexOf('*') != source.length() - 1 && wildSource) {
                throw new PipelineDefinitionException(where + ": output '" + out.getKey() + "' reads '" + source
                        + "': a '*' may only end both the output name and the port (e.g. 'router_*: tower.router_*')");
            }
        }
        if (outputs.isEmpty()) {
            throw new PipelineDefinitionException(where + ": no outputs");
        }
        // Kahn's algorithm, keeping declaration order among ready stages so the order is predictable.
        List<StageDefinition> ordered = new ArrayList<>();
        Set<String> done = new HashSet<>();
        while (ordered.size() < stages.size()) {
            boolean progressed = false;
            for (StageDefinition s : stages) {
                if (!done.contains(s.name()) && done.containsAll(deps.get(s.name()))) {
                    ordered.add(s);
                    done.add(s.name());
                    progressed = true;
                }
            }
            if (!progressed) {
                List<String> cycle = stages.stream().map(StageDefinition::name).filter(n -> !done.contains(n)).toList();
                throw new PipelineDefinitionException(where + ": stages " + cycle + " form a cycle");
            }
        }
        return List.copyOf(ordered);
    }
}
