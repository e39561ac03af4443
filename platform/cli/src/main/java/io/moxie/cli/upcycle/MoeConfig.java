package io.moxie.cli.upcycle;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import io.moxie.api.InvalidInputException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code config.json} of an upcycled model: the dense model's, with {@code num_experts}, {@code clip_smoe} and
 * {@code mlp_smoe} true, {@code mm_projector_type} {@code smoe_mlp} and {@code num_experts_per_tok} set; every other
 * key, its order and its number spelling kept. Stateless.
 */
final class MoeConfig {
    /** CuMo's k ({@code --num_selected 2}) when neither the dense config nor the command line gives one. */
    static final int DEFAULT_TOP_K = 2;

    private MoeConfig() {}

    /**
     * Reads the dense {@code config.json} and returns the MoE one as text.
     *
     * @param topK {@code num_experts_per_tok} if the caller chose one, else null: then the dense config's value if it
     *     has one, else {@link #DEFAULT_TOP_K}
     * @throws InvalidInputException if the file is not a JSON object or k does not fit {@code 1..experts}
     */
    static String upcycled(Path denseConfig, int experts, Integer topK) throws IOException {
        JsonObject config;
        try {
            JsonElement root = JsonParser.parseString(Files.readString(denseConfig, StandardCharsets.UTF_8));
            if (!root.isJsonObject()) {
                throw new InvalidInputException(denseConfig + ": not a JSON object");
            }
            config = root.getAsJsonObject();
        } catch (JsonParseException e) {
            throw new InvalidInputException(denseConfig + ": not valid JSON: " + e.getMessage());
        }
        int k = topK != null ? topK : denseTopK(config, denseConfig);
        if (k < 1 || k > experts) {
            throw new InvalidInputException("num_experts_per_tok " + k + " (" + (topK != null ? "--top-k"
                    : "from " + denseConfig) + ") must be between 1 and the number of experts, " + experts
                    + "; choose one with --top-k");
        }
        config.add("num_experts", new JsonPrimitive(experts));
        config.add("num_experts_per_tok", new JsonPrimitive(k));
        config.add("clip_smoe", new JsonPrimitive(true));
        config.add("mlp_smoe", new JsonPrimitive(true));
        config.add("mm_projector_type", new JsonPrimitive("smoe_mlp"));
        // nulls kept (e.g. shortest_edge: null means "from image_size"), text as written
        return new GsonBuilder().setPrettyPrinting().serializeNulls().disableHtmlEscaping().create().toJson(config)
                + "\n";
    }

    private static int denseTopK(JsonObject config, Path file) {
        JsonElement k = config.get("num_experts_per_tok");
        if (k == null || k.isJsonNull()) {
            return DEFAULT_TOP_K;
        }
        try {
            return k.getAsInt();
        } catch (RuntimeException e) {
            throw new InvalidInputException(file + ": num_experts_per_tok is " + k + ", not an integer");
        }
    }
}
