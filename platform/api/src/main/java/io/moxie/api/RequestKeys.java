package io.moxie.api;

/**
 * Keys of request-scoped state ({@link RequestContext#computeIfAbsent}) that components of different plugins
 * exchange. Bundles share only this API, so the keys live here rather than in either plugin.
 */
public final class RequestKeys {

    /**
     * The instruction's token embeddings, {@code [N, d]} float32, stored by a decoder before its first layer runs;
     * read by the {@code instance} router, which routes the whole request from them.
     */
    public static final String INSTRUCTION_EMBEDDING = "moxie.instruction_embedding";

    /**
     * Prefix of the key under which the {@code instance} router publishes its decision's mean gate logits
     * ({@code [E]} float32) for a gate; the full key is the prefix, the model name, {@code ':'} and the gate key.
     */
    public static final String INSTANCE_GATE_MEAN_LOGITS = "moxie.instance_gate.mean_logits:";

    private RequestKeys() {
    }

    /** Returns the key of the mean gate logits of one instance gate. */
    public static String instanceGateMeanLogits(String model, String gateKey) {
        return INSTANCE_GATE_MEAN_LOGITS + model + ":" + gateKey;
    }
}
