package io.moxie.encoders.clip.layout;

import io.moxie.api.ModelFormatException;
import io.moxie.api.ParameterStore;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a checkpoint keeps its CLIP vision tower, and under which names (README-octavius2d.md §5). Names are
 * translated between a layout and the canonical one, {@link #CUMO}: Hugging Face CLIP names under LLaVA/CuMo's
 * {@code model.vision_tower.vision_model.} prefix, which is what the tower code reads.
 *
 * <p>The OpenAI layout fuses the q, k and v projections into one {@code in_proj} (rows q, then k, then v, as PyTorch's
 * {@code nn.MultiheadAttention}); its canonical name is {@code self_attn.in_proj_weight} / {@code in_proj_bias}, the
 * names a fused projection has in PyTorch. Tensors that have no canonical name ({@code visual.proj},
 * {@code text_model.*}, ...) are not part of the tower and are ignored.
 */
public enum ClipKeyLayout {
    /** LLaVA / CuMo: Hugging Face names inside the multimodal model (canonical). */
    CUMO("model.vision_tower.vision_model.", "LLaVA/CuMo (model.vision_tower.vision_model.*)", List.of()),
    /** Hugging Face {@code CLIPVisionModel} / {@code CLIPModel}. */
    HF("vision_model.", "Hugging Face CLIP (vision_model.*)", List.of()),
    /** OpenAI CLIP and open_clip ({@code VisionTransformer}, what LAMM / Octavius loads). */
    OPENAI("visual.", "OpenAI / open_clip (visual.*)", List.of(
            rule("embeddings.patch_embedding.weight", "conv1.weight"),
            rule("embeddings.class_embedding", "class_embedding"),
            rule("embeddings.position_embedding.weight", "positional_embedding"),
            rule("pre_layrnorm.{p}", "ln_pre.{p}"),
            rule("post_layernorm.{p}", "ln_post.{p}"),
            rule("encoder.layers.{i}.self_attn.in_proj_{p}", "transformer.resblocks.{i}.attn.in_proj_{p}"),
            rule("encoder.layers.{i}.self_attn.out_proj.{p}", "transformer.resblocks.{i}.attn.out_proj.{p}"),
            rule("encoder.layers.{i}.layer_norm1.{p}", "transformer.resblocks.{i}.ln_1.{p}"),
            rule("encoder.layers.{i}.layer_norm2.{p}", "transformer.resblocks.{i}.ln_2.{p}"),
            rule("encoder.layers.{i}.mlp.fc1.{p}", "transformer.resblocks.{i}.mlp.c_fc.{p}"),
            rule("encoder.layers.{i}.mlp.fc2.{p}", "transformer.resblocks.{i}.mlp.c_proj.{p}")));

    /** The canonical prefix: every name the tower code reads starts with it. */
    public static final String CANONICAL_PREFIX = CUMO.prefix;

    private final String prefix;
    private final String description;
    private final List<Rule> rules;

    ClipKeyLayout(String prefix, String description, List<Rule> rules) {
        this.prefix = prefix;
        this.description = description;
        this.rules = rules;
    }

    /** Returns the prefix of every tower key in this layout. */
    public String prefix() {
        return prefix;
    }

    /** Returns a name for messages, e.g. {@code OpenAI / open_clip (visual.*)}. */
    public String description() {
        return description;
    }

    /**
     * Returns the layout of the one vision tower a checkpoint holds.
     *
     * @throws ModelFormatException if it holds none, or more than one (which tower to serve would be a guess)
     */
    public static ClipKeyLayout detect(ParameterStore params) {
        List<ClipKeyLayout> found = new ArrayList<>();
        for (ClipKeyLayout layout : values()) {
            if (params.keys().stream().anyMatch(k -> k.startsWith(layout.prefix))) {
                found.add(layout);
            }
        }
        if (found.size() != 1) {
            throw new ModelFormatException("model '" + params.modelName() + "': the checkpoint must hold exactly one "
                    + "CLIP vision tower, in one of the layouts " + List.of(values()).stream()
                    .map(ClipKeyLayout::description).toList() + "; it holds " + (found.isEmpty() ? "none"
                    : found.stream().map(ClipKeyLayout::description).toList()));
        }
        return found.get(0);
    }

    /** Returns the checkpoint key of a canonical name in this layout (the name itself for {@link #CUMO}). */
    public String toCheckpoint(String canonical) {
        if (!canonical.startsWith(CANONICAL_PREFIX)) {
            throw new IllegalArgumentException("not a canonical tower name: " + canonical);
        }
        String relative = canonical.substring(CANONICAL_PREFIX.length());
        if (rules.isEmpty()) {
            return prefix + relative;
        }
        for (Rule r : rules) {
            Optional<String> mapped = r.toCheckpoint(relative);
            if (mapped.isPresent()) {
                return prefix + mapped.get();
            }
        }
        // not a tower tensor of this layout (e.g. q_proj, which OpenAI fuses): named as is, so it is reported missing
        return prefix + relative;
    }

    /** Returns the canonical name of a checkpoint key of this layout, or empty if the tower does not use it. */
    public Optional<String> toCanonical(String checkpointKey) {
        if (!checkpointKey.startsWith(prefix)) {
            return Optional.empty();
        }
        String relative = checkpointKey.substring(prefix.length());
        if (rules.isEmpty()) {
            return Optional.of(CANONICAL_PREFIX + relative);
        }
        for (Rule r : rules) {
            Optional<String> mapped = r.toCanonical(relative);
            if (mapped.isPresent()) {
                return Optional.of(CANONICAL_PREFIX + mapped.get());
            }
        }
        return Optional.empty();
    }

    private static Rule rule(String canonical, String checkpoint) {
        return new Rule(canonical, checkpoint);
    }

    /**
     * One renaming between a canonical and a checkpoint name, both relative to their prefixes; {@code {i}} stands for
     * a layer index and {@code {p}} for {@code weight} or {@code bias}.
     */
    private record Rule(String canonical, String checkpoint) {
        Optional<String> toCheckpoint(String relative) {
            return rename(canonical, checkpoint, relative);
        }

        Optional<String> toCanonical(String relative) {
            return rename(checkpoint, canonical, relative);
        }

        private static Optional<String> rename(String fromTemplate, String toTemplate, String name) {
            Matcher m = compile(fromTemplate).matcher(name);
            if (!m.matches()) {
                return Optional.empty();
            }
            String out = toTemplate;
            if (fromTemplate.contains("{i}")) {
                out = out.replace("{i}", m.group("i"));
            }
            if (fromTemplate.contains("{p}")) {
                out = out.replace("{p}", m.group("p"));
            }
            return Optional.of(out);
        }

        private static Pattern compile(String template) {
            return Pattern.compile(Pattern.quote(template).replace("{i}", "\\E(?<i>\\d+)\\Q")
                    .replace("{p}", "\\E(?<p>weight|bias)\\Q"));
        }
    }
}
