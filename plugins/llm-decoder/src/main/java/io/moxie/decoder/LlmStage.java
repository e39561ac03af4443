package io.moxie.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.Config;
import io.moxie.api.InvalidInputException;
import io.moxie.api.RequestContext;
import io.moxie.api.RequestKeys;
import io.moxie.api.Routing;
import io.moxie.api.Stage;
import io.moxie.api.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * The {@code llm} stage: a prompt (token ids, or UTF-8 text with a tokenizer) with optional vision tokens in, generated
 * ids (and text) out, with the golden format's diagnostic outputs. See {@link LlmStageFactory} for the ports and
 * settings. Immutable; per-request state (KV cache, instruction embedding) lives in the request's state, so one stage
 * serves concurrent requests.
 */
final class LlmStage implements Stage {
    /** Request-state key of the instruction's token embeddings {@code [S, d]} float32 the instance router reads. */
    static final String INSTRUCTION_EMBEDDING = RequestKeys.INSTRUCTION_EMBEDDING;

    private final DecoderConfig config;
    private final Config settings;
    private final DecoderModel model;
    private final TextCodec text;
    private final Generator generator;
    private final String meanLogitsKey;
    private final List<TensorSpec> inputs;
    private final List<TensorSpec> outputs;

    /**
     * @param settings the stage's configuration, for the generation settings
     * @param text the tokenizer, or null for ids only
     * @param modelName the checkpoint's model name (the {@code instance} router's state keys include it)
     */
    LlmStage(DecoderConfig config, Config settings, DecoderModel model, TextCodec text, String stageName,
             String modelName) {
        this.config = config;
        this.settings = settings;
        this.model = model;
        this.text = text;
        this.generator = new Generator(model, "moxie.llm.kv-cache:" + stageName + ":" + UUID.randomUUID());
        // the instance router publishes the token-mean gate logits here (InstanceRouterFactory.meanLogitsKey)
        this.meanLogitsKey = RequestKeys.instanceGateMeanLogits(modelName, CheckpointKeys.LORA_GATE);
        this.inputs = Ports.inputs(config);
        this.outputs = Ports.outputs(config);
    }

    @Override
    public List<TensorSpec> inputs() {
        return inputs;
    }

    @Override
    public List<TensorSpec> outputs() {
        return outputs;
    }

    @Override
    public Map<String, NDArray> run(Map<String, NDArray> in, RequestContext request) {
        NDManager m = request.manager();
        NDArray vision = in.get(Ports.VISION_TOKENS);
        long[] ids = promptIds(in);
        if (request.isWarmUp() && vision != null && java.util.Arrays.stream(ids).noneMatch(id -> id == Prompt.IMAGE_PLACEHOLDER)) {
            // warm-up: vision tokens came from an upstream stage's placeholder inputs; give them their place
            ids = new long[] {0, Prompt.IMAGE_PLACEHOLDER, 0};
        }
        Prompt prompt = Prompt.of(ids, config.vocabSize());
        long promptLength = prompt.splicedLength(vision == null ? 0 : vision.getShape().get(0), config.maxPositions());
        NDArray maxNew = in.get(Ports.MAX_NEW_TOKENS);
        GenerationSettings generation = GenerationSettings.resolve(settings, request.parameters(),
                maxNew == null ? OptionalLong.empty() : OptionalLong.of(maxNew.getLong()));
        NDArray embedded = prompt.embed(model, vision, m);
        if (config.loraMoe()) {
            provideInstruction(prompt, in.get(Ports.INSTRUCTION_IDS), request);
        }
        Generation g = generator.run(embedded, generation, request, streamTo(request));

        Map<String, NDArray> out = new LinkedHashMap<>();
        out.put(Ports.GENERATED_IDS, m.create(g.ids()));
        out.put(Ports.PROMPT_LEN, m.create(promptLength));
        out.put(Ports.PREFILL_LAST_LOGITS, g.prefillLogits().get(g.prefillLogits().getShape().get(0) - 1));
        if (config.intermediates()) {
            out.put(Ports.PREFILL_LOGITS, g.prefillLogits());
            out.put(Ports.STEP_LOGITS, g.stepLogits().isEmpty() ? m.zeros(new Shape(0, config.vocabSize()))
                    : NDArrays.stack(new NDList(g.stepLogits())));
            for (int i = 0; i < g.hiddenLast().size(); i++) {
                out.put(Ports.HIDDEN_LAST + i, g.hiddenLast().get(i));
            }
        }
        if (config.sparseMoe()) {
            for (int i = 0; i < config.numLayers(); i++) {
                Routing r = g.prefillRouting().get(DecoderModel.mixtralSpec(config, i).layer());
                out.put(Ports.ROUTER_INDICES + i, r.indices());
                out.put(Ports.ROUTER_WEIGHTS + i, r.weights());
            }
        }
        if (config.loraMoe()) {
            putLoraGate(g, request, out);
        }
        if (text != null) {
            byte[] utf8 = text.decode(g.ids()).getBytes(StandardCharsets.UTF_8);
            out.put(Ports.GENERATED_TEXT, m.create(ByteBuffer.wrap(utf8), new Shape(utf8.length), DataType.UINT8));
        }
        return out;
    }

    /**
     * Streams each new token to the caller with the text it completes: the decoded text of all tokens so far minus
     * what was already sent, held back while it ends in an incomplete UTF-8 character (a byte-fallback token can
     * carry part of one), so the streamed text always equals the text decoded at once.
     */
    private Generator.TokenStream streamTo(RequestContext request) {
        int[] sentChars = {0};
        int[] sentTokens = {0};
        return (ids, n) -> {
            String sofar = text == null ? "" : text.decode(java.util.Arrays.copyOf(ids, n));
            if (sofar.endsWith("\uFFFD")) {
                return; // wait for the bytes that complete the character
            }
            long[] fresh = java.util.Arrays.copyOfRange(ids, sentTokens[0], n);
            String piece = sofar.length() >= sentChars[0] ? sofar.substring(sentChars[0]) : "";
            sentTokens[0] = n;
            sentChars[0] = sofar.length();
            request.emitTokens(fresh, piece);
        };
    }

    private long[] promptIds(Map<String, NDArray> in) {
        NDArray ids = in.get(Ports.INPUT_IDS);
        NDArray prompt = in.get(Ports.PROMPT);
        if ((ids == null) == (prompt == null)) {
            throw new InvalidInputException("give the prompt either as token ids ('" + Ports.INPUT_IDS
                    + "') or as UTF-8 text ('" + Ports.PROMPT + "'), " + (ids == null ? "not neither" : "not both"));
        }
        if (ids != null) {
            return ids.toLongArray();
        }
        if (text == null) {
            throw new InvalidInputException("'" + Ports.PROMPT + "' is text, but the model has no " + TextCodec.FILE
                    + ": give '" + Ports.INPUT_IDS + "' instead");
        }
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(prompt.toByteArray()))
                    .toString();
            return text.encode(s);
        } catch (CharacterCodingException e) {
            throw new InvalidInputException("'" + Ports.PROMPT + "' is not valid UTF-8 text");
        }
    }

    /** Stores the instruction's embeddings where the instance router reads them, before any layer runs. */
    private void provideInstruction(Prompt prompt, NDArray instructionIds, RequestContext request) {
        long[] ids = instructionIds == null ? prompt.defaultInstruction() : instructionIds.toLongArray();
        if (ids.length == 0) {
            throw new InvalidInputException("instruction_ids is empty: the LoRA-MoE gate needs at least one token");
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= config.vocabSize()) {
                throw new InvalidInputException("instruction_ids[" + i + "] = " + ids[i]
                        + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
        NDArray embedding = model.embed(ids, request.manager());
        if (request.computeIfAbsent(INSTRUCTION_EMBEDDING, k -> embedding) != embedding) {
            embedding.close(); // an earlier stage of the request provided it
        }
    }

    /** Reports the instance gate: from the prefill routing of the first LoRA-MoE layer, and the router's logits. */
    private void putLoraGate(Generation g, RequestContext request, Map<String, NDArray> out) {
        Routing r = g.prefillRouting().get(DecoderModel.loraLayerName(0, config.loraTargets().get(0)));
        long[] chosen = r.indices().get(0).toLongArray();
        float[] weights = r.weights().get(0).toFloatArray();
        float[] gate = new float[config.loraExperts()];
        for (int j = 0; j < chosen.length; j++) {
            gate[(int) chosen[j]] = weights[j];
        }
        NDManager m = request.manager();
        out.put(Ports.LORA_GATE, m.create(gate));
        out.put(Ports.LORA_GATE_INDICES, m.create(chosen));
        NDArray meanLogits = request.computeIfAbsent(meanLogitsKey, k -> null);
        if (meanLogits != null) {
            out.put(Ports.LORA_GATE_MEAN_LOGITS, meanLogits);
        }
    }

    @Override
    public Map<String, NDArray> warmUpInputs(NDManager manager) {
        Map<String, NDArray> warm = new HashMap<>();
        // text after the token: Octavius' gate reads it when no instruction_ids are wired (see run for vision tokens)
        warm.put(Ports.INPUT_IDS, manager.create(new long[] {0, 0}));
        // two tokens: the prefill and one decode step, without generating a whole answer
        warm.put(Ports.MAX_NEW_TOKENS, manager.create(2L));
        return warm;
    }

    @Override
    public void close() {
        if (text != null) {
            text.close();
        }
    }
}
