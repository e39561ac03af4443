package io.moxie.decoder;

import io.moxie.api.ComponentContext;
import io.moxie.api.ModelFormatException;
import io.moxie.api.Stage;
import io.moxie.api.StageFactory;
import java.nio.file.Path;
import org.osgi.service.component.annotations.Component;

/**
 * Builds {@code llm} stages: a Llama / Vicuna, Mistral or Mixtral decoder in Hugging Face layout, with Octavius'
 * LoRA-MoE on the attention projections when the config names {@code target_modules}, generating text from a prompt
 * that may carry vision tokens.
 *
 * <p><b>Inputs</b> (all optional but the prompt):
 * <ul>
 *   <li>{@code input_ids} int64 {@code [T]}: the prompt, with at most one {@code -200} placeholder; or</li>
 *   <li>{@code prompt} uint8 {@code [n]}: the prompt as UTF-8 text, when the model has a {@code tokenizer.json}
 *       (the model directory's, or the stage setting {@code tokenizer_dir}); {@code <image>} marks the placeholder;</li>
 *   <li>{@code vision_tokens} float32 {@code [Q, hidden]}: spliced in at the placeholder (required with one,
 *       refused without);</li>
 *   <li>{@code instruction_ids} int64 {@code [S]}: what Octavius' instance gate reads (default: the ids after the
 *       placeholder, or the whole prompt without one);</li>
 *   <li>{@code max_new_tokens} int64 scalar: overrides the configured generation length for this request.</li>
 * </ul>
 * Other generation settings come from the configuration and the request parameters ({@link GenerationSettings}).
 *
 * <p><b>Outputs</b>, named as the golden {@code expected.npz}: {@code generated_ids}, {@code prompt_len},
 * {@code prefill_last_logits}; with the setting {@code intermediates} (default true) {@code prefill_logits},
 * {@code step_logits}, {@code prefill_hidden_last_layer{i}}; Mixtral's prefill routing
 * {@code router_indices_layer{i}}, {@code router_weights_layer{i}}; Octavius' {@code lora_gate},
 * {@code lora_gate_indices}, {@code lora_gate_mean_logits}; {@code generated_text} (UTF-8) with a tokenizer.
 *
 * <p><b>MoE wiring.</b> Mixtral's {@code block_sparse_moe} of layer i is the MoE layer {@code layer{i}} (gate
 * {@code model.layers.{i}.block_sparse_moe.gate.weight}, expert roles {@code w1/w2/w3}); use {@code router: topk},
 * {@code experts: swiglu}. Each LoRA-MoE projection is the MoE layer {@code layer{i}.{proj}} (gate
 * {@code gating_network.w_gating}, roles {@code base}, {@code A}, {@code B}); use {@code router: instance},
 * {@code experts: lora} or {@code lora-merged}. Before the first layer runs, the stage stores the instruction's token
 * embeddings in the request's state under {@code moxie.instruction_embedding} for the instance router.
 *
 * <p><b>Settings</b> (model {@code config.json} overlaid by the stage's): see {@link DecoderConfig}.
 */
@Component(service = StageFactory.class)
public final class LlmStageFactory implements StageFactory {

    /** The kind pipeline definitions use: {@code kind: llm}. */
    public static final String KIND = "llm";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Stage create(ComponentContext context) {
        DecoderConfig config = DecoderConfig.from(context.config());
        DecoderModel model = DecoderModel.load(context, config);
        TextCodec text;
        try {
            Path tokenizerDir = config.tokenizerDir() != null ? Path.of(config.tokenizerDir()) : context.modelDirectory();
            text = tokenizerDir == null ? null : TextCodec.open(tokenizerDir);
        } catch (LinkageError e) {
            // the tokenizers library is an optional import of the bundle: the host may not carry it
            throw new ModelFormatException("stage '" + context.name() + "': " + TextCodec.FILE + " needs the "
                    + "ai.djl.huggingface:tokenizers library on the host class path (" + e + ")");
        }
        return new LlmStage(config, context.config(), model, text, context.name(), context.parameters().modelName());
    }
}
