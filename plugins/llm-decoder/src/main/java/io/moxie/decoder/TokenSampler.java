package io.moxie.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.SplittableRandom;

/**
 * Chooses the next token from a row of logits: the argmax (greedy), or a draw from the tempered, top-k and top-p
 * filtered distribution (HF's order: temperature, then top-k, then top-p). Draws come from a
 * {@link SplittableRandom} seeded by {@code seed}, so a request with a seed is reproducible. One instance per
 * request; not thread-safe.
 */
final class TokenSampler {
    private final GenerationSettings settings;
    private final SplittableRandom random;

    TokenSampler(GenerationSettings settings) {
        this.settings = settings;
        this.random = settings.seed().isPresent() ? new SplittableRandom(settings.seed().getAsLong())
                : new SplittableRandom();
    }

    /** Returns the chosen id for {@code logits [vocab]} float32 (borrowed; nothing is left in its manager). */
    long next(NDArray logits) {
        try (NDManager scratch = logits.getManager().newSubManager()) {
            logits.tempAttach(scratch);
            return settings.doSample() ? sample(logits) : logits.argMax().getLong();
        }
    }

    private long sample(NDArray logits) {
        // sort on the device, then walk the (already ordered) candidates on the host
        NDArray order = logits.argSort(0, false);
        float[] sorted = logits.get(order).toFloatArray();
        int keep = settings.topK() > 0 ? Math.min(settings.topK(), sorted.length) : sorted.length;
        double max = sorted[0] / settings.temperature();
        double[] p = new double[keep];
        double total = 0;
        for (int i = 0; i < keep; i++) {
            p[i] = Math.exp(sorted[i] / settings.temperature() - max);
            total += p[i];
        }
        // nucleus: the shortest prefix whose probability reaches top_p (at least one token)
        int nucleus = keep;
        double cumulative = 0;
        for (int i = 0; i < keep; i++) {
            cumulative += p[i] / total;
            if (cumulative >= settings.topP()) {
                nucleus = i + 1;
                break;
            }
        }
        double mass = 0;
        for (int i = 0; i < nucleus; i++) {
            mass += p[i];
        }
        double u = random.nextDouble() * mass;
        int chosen = nucleus - 1;
        for (int i = 0; i < nucleus; i++) {
            u -= p[i];
            if (u < 0) {
                chosen = i;
                break;
            }
        }
        return order.getLong(chosen);
    }
}
