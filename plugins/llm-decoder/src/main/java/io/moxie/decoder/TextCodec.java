package io.moxie.decoder;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.moxie.api.ModelFormatException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * Text in and out through the model directory's {@code tokenizer.json} (DJL's Hugging Face tokenizers, which live
 * on the host class path like DJL itself). Built without truncation: DJL otherwise cuts prompts to 512 tokens
 * silently; the stage checks the length against {@code max_position_embeddings} itself.
 *
 * <p>Prompts may contain the image marker {@value #IMAGE_MARKER}: the text is split there, each piece encoded, and the
 * {@code -200} placeholder put between them (LLaVA's {@code tokenizer_image_token}: special tokens such as BOS only
 * for the first piece). Thread-safe (the native tokenizer is); closed with the stage.
 */
final class TextCodec implements AutoCloseable {
    /** Where the vision tokens go in a text prompt. */
    static final String IMAGE_MARKER = "<image>";
    static final String FILE = "tokenizer.json";

    private final HuggingFaceTokenizer tokenizer;

    private TextCodec(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /**
     * Opens the tokenizer of a directory.
     *
     * @return the codec, or null when the directory has no {@code tokenizer.json}
     * @throws ModelFormatException if the file cannot be read, or the tokenizers library is not on the host
     */
    static TextCodec open(Path dir) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return new TextCodec(HuggingFaceTokenizer.builder().optTokenizerPath(file).optTruncation(false)
                    .optPadding(false).build());
        } catch (IOException | RuntimeException e) {
            throw new ModelFormatException(file + ": cannot load the tokenizer: " + e.getMessage(), e);
        } catch (LinkageError e) {
            throw new ModelFormatException(file + ": the host has no ai.djl.huggingface:tokenizers library to read it "
                    + "(" + e + ")", e);
        }
    }

    /** Encodes a prompt, the image marker (if any) becoming the {@code -200} placeholder. */
    long[] encode(String text) {
        String[] pieces = text.split(Pattern.quote(IMAGE_MARKER), -1);
        long[][] encoded = new long[pieces.length][];
        int total = pieces.length - 1;
        for (int i = 0; i < pieces.length; i++) {
            encoded[i] = pieces[i].isEmpty() && i > 0 ? new long[0]
                    : tokenizer.encode(pieces[i], i == 0, false).getIds();
            total += encoded[i].length;
        }
        long[] ids = new long[total];
        int at = 0;
        for (int i = 0; i < pieces.length; i++) {
            if (i > 0) {
                ids[at++] = Prompt.IMAGE_PLACEHOLDER;
            }
            System.arraycopy(encoded[i], 0, ids, at, encoded[i].length);
            at += encoded[i].length;
        }
        return ids;
    }

    /** Decodes generated ids, special tokens skipped. */
    String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
