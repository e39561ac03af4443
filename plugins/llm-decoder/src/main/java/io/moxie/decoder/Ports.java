package io.moxie.decoder;

import ai.djl.ndarray.types.DataType;
import io.moxie.api.TensorSpec;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code llm} stage's port names and specs. Output names are the keys of the golden {@code expected.npz} format
 * (README-decoder.md), so a pipeline can expose them unchanged.
 */
final class Ports {
    // inputs
    static final String INPUT_IDS = "input_ids";
    static final String PROMPT = "prompt";
    static final String VISION_TOKENS = "vision_tokens";
    static final String INSTRUCTION_IDS = "instruction_ids";
    static final String MAX_NEW_TOKENS = "max_new_tokens";
    // outputs
    static final String GENERATED_IDS = "generated_ids";
    static final String GENERATED_TEXT = "generated_text";
    static final String PROMPT_LEN = "prompt_len";
    static final String PREFILL_LAST_LOGITS = "prefill_last_logits";
    static final String PREFILL_LOGITS = "prefill_logits";
    static final String STEP_LOGITS = "step_logits";
    static final String HIDDEN_LAST = "prefill_hidden_last_layer";
    static final String ROUTER_INDICES = "router_indices_layer";
    static final String ROUTER_WEIGHTS = "router_weights_layer";
    static final String LORA_GATE = "lora_gate";
    static final String LORA_GATE_INDICES = "lora_gate_indices";
    static final String LORA_GATE_MEAN_LOGITS = "lora_gate_mean_logits";

    private Ports() {
    }

    static List<TensorSpec> inputs(DecoderConfig c) {
        return List.of(
                new TensorSpec(INPUT_IDS, DataType.INT64, new long[] {-1}),
                new TensorSpec(PROMPT, DataType.UINT8, new long[] {-1}),
                new TensorSpec(VISION_TOKENS, DataType.FLOAT32, new long[] {-1, c.hiddenSize()}),
                new TensorSpec(INSTRUCTION_IDS, DataType.INT64, new long[] {-1}),
                new TensorSpec(MAX_NEW_TOKENS, DataType.INT64, new long[0]));
    }

    /**
     * Every output the stage may write; {@code generated_text} only appears when the model has a tokenizer, the
     * intermediates only with the {@code intermediates} setting. Per-layer outputs ({@code ..._layer{i}}) exist for
     * the model's layers: pipelines take them with a wildcard ({@code prefill_hidden_last_layer*}).
     */
    static List<TensorSpec> outputs(DecoderConfig c) {
        List<TensorSpec> out = new ArrayList<>(List.of(
                new TensorSpec(GENERATED_IDS, DataType.INT64, new long[] {-1}),
                new TensorSpec(PROMPT_LEN, DataType.INT64, new long[0]),
                new TensorSpec(PREFILL_LAST_LOGITS, DataType.FLOAT32, new long[] {c.vocabSize()}),
                new TensorSpec(PREFILL_LOGITS, DataType.FLOAT32, new long[] {-1, c.vocabSize()}),
                new TensorSpec(STEP_LOGITS, DataType.FLOAT32, new long[] {-1, c.vocabSize()}),
                new TensorSpec(GENERATED_TEXT, DataType.UINT8, new long[] {-1})));
        int layers = c.numLayers();
        for (int i = 0; i < layers; i++) {
            out.add(new TensorSpec(HIDDEN_LAST + i, DataType.FLOAT32, new long[] {c.hiddenSize()}));
        }
        if (c.sparseMoe()) {
            for (int i = 0; i < layers; i++) {
                out.add(new TensorSpec(ROUTER_INDICES + i, DataType.INT64, new long[] {-1, c.expertsPerToken()}));
                out.add(new TensorSpec(ROUTER_WEIGHTS + i, DataType.FLOAT32, new long[] {-1, c.expertsPerToken()}));
            }
        }
        if (c.loraMoe()) {
            out.add(new TensorSpec(LORA_GATE, DataType.FLOAT32, new long[] {c.loraExperts()}));
            out.add(new TensorSpec(LORA_GATE_INDICES, DataType.INT64, new long[] {c.loraTopK()}));
            out.add(new TensorSpec(LORA_GATE_MEAN_LOGITS, DataType.FLOAT32, new long[] {c.loraExperts()}));
        }
        return List.copyOf(out);
    }
}
