package io.moxie.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.moxie.api.InvalidInputException;
import java.util.Arrays;

/**
 * A request's prompt, checked and embedded: {@code input_ids} with at most one {@code -200} placeholder, replaced by
 * the rows of {@code vision_tokens} (LLaVA / CuMo {@code prepare_inputs_labels_for_multimodal} for one sample, and
 * Octavius' {@code [bos, before, vision, after]} layout). The spliced sequence takes positions {@code 0 .. T'-1},
 * {@code T' = T - 1 + Q}; the placeholder may be first, last or anywhere.
 *
 * <p>Every check failure is an {@link InvalidInputException} naming the input and what was expected.
 */
final class Prompt {
    /** LLaVA / CuMo's {@code IMAGE_TOKEN_INDEX}: where the vision tokens go. */
    static final long IMAGE_PLACEHOLDER = -200;

    private final long[] ids;
    private final int placeholder;

    private Prompt(long[] ids, int placeholder) {
        this.ids = ids;
        this.placeholder = placeholder;
    }

    /**
     * Checks the ids: not empty, every id in {@code [0, vocab)} except at most one placeholder.
     *
     * @throws InvalidInputException if not
     */
    static Prompt of(long[] ids, int vocab) {
        if (ids.length == 0) {
            throw new InvalidInputException("input_ids is empty: the prompt needs at least one token");
        }
        int placeholder = -1;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == IMAGE_PLACEHOLDER) {
                if (placeholder >= 0) {
                    throw new InvalidInputException("input_ids has more than one " + IMAGE_PLACEHOLDER
                            + " image placeholder (at " + placeholder + " and " + i + "); at most one is supported");
                }
                placeholder = i;
            } else if (ids[i] < 0 || ids[i] >= vocab) {
                throw new InvalidInputException("input_ids[" + i + "] = " + ids[i] + " is outside the vocabulary [0, "
                        + vocab + ")");
            }
        }
        return new Prompt(ids, placeholder);
    }

    /** Returns whether the prompt has the placeholder. */
    boolean hasPlaceholder() {
        return placeholder >= 0;
    }

    /**
     * Returns the spliced length {@code T'} for {@code visionRows} vision tokens.
     *
     * @throws InvalidInputException if it exceeds {@code maxPositions} or is 0
     */
    long splicedLength(long visionRows, int maxPositions) {
        long length = hasPlaceholder() ? ids.length - 1 + visionRows : ids.length;
        if (length == 0) {
            throw new InvalidInputException("the prompt is empty: input_ids holds only the placeholder and "
                    + "vision_tokens has no rows");
        }
        if (length > maxPositions) {
            throw new InvalidInputException("the prompt has " + length + " positions"
                    + (hasPlaceholder() ? " (" + (ids.length - 1) + " tokens + " + visionRows + " vision tokens)" : "")
                    + ", more than max_position_embeddings " + maxPositions);
        }
        return length;
    }

    /**
     * Embeds the prompt and splices the vision tokens in.
     *
     * @param vision {@code [Q, d]} float32, or null; present exactly when the prompt has the placeholder
     * @return {@code [T', d]} in {@code manager}
     * @throws InvalidInputException if vision tokens and placeholder do not come together, or the width is not d
     */
    NDArray embed(DecoderModel model, NDArray vision, NDManager manager) {
        int d = model.config().hiddenSize();
        if (vision == null) {
            if (hasPlaceholder()) {
                throw new InvalidInputException("input_ids has the " + IMAGE_PLACEHOLDER + " image placeholder at "
                        + placeholder + " but no vision_tokens were given");
            }
            return model.embed(ids, manager);
        }
        if (!hasPlaceholder()) {
            throw new InvalidInputException("vision_tokens were given but input_ids has no " + IMAGE_PLACEHOLDER
                    + " placeholder to put them at");
        }
        if (vision.getShape().dimension() != 2 || vision.getShape().get(1) != d) {
            throw new InvalidInputException("vision_tokens must be [Q, " + d + "] (the decoder's hidden_size), got "
                    + vision.getShape());
        }
        NDArray before = placeholder > 0 ? model.embed(Arrays.copyOfRange(ids, 0, placeholder), manager) : null;
        NDArray after = placeholder < ids.length - 1
                ? model.embed(Arrays.copyOfRange(ids, placeholder + 1, ids.length), manager) : null;
        NDList parts = new NDList();
        for (NDArray part : new NDArray[] {before, vision, after}) {
            if (part != null) {
                parts.add(part);
            }
        }
        NDArray spliced = NDArrays.concat(parts, 0);
        spliced.attach(manager);
        for (NDArray text : new NDArray[] {before, after}) {
            if (text != null) {
                text.close();
            }
        }
        return spliced;
    }

    /**
     * Returns the ids the instance gate reads when the request gives no {@code instruction_ids}: the text after the
     * placeholder (Octavius inference), or the whole prompt without one.
     *
     * @throws InvalidInputException if that is empty (the placeholder is last)
     */
    long[] defaultInstruction() {
        long[] after = hasPlaceholder() ? Arrays.copyOfRange(ids, placeholder + 1, ids.length) : ids;
        if (after.length == 0) {
            throw new InvalidInputException("the LoRA-MoE gate needs instruction tokens: give instruction_ids, or put "
                    + "text after the " + IMAGE_PLACEHOLDER + " placeholder");
        }
        return after;
    }
}
