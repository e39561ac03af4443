package io.moxie.experts.lora;

import java.util.Arrays;

/**
 * The experts and weights a routing gives every one of its tokens, when it gives all of them the same ones (an
 * instance router's once-per-request decision): what lets a LoRA bank run the whole batch with two GEMMs, or with one
 * merged weight. Immutable.
 *
 * @param experts the chosen experts, in the routing's slot order
 * @param weights their weights, same order
 */
record LoraSelection(long[] experts, float[] weights) {

    /**
     * Returns the selection shared by all rows of a routing, or null when rows differ (a per-token router).
     *
     * @param indices the routing's indices {@code [T, k]}, row-major
     * @param weights the routing's weights {@code [T, k]}, row-major
     */
    static LoraSelection ofUniform(long[] indices, float[] weights, int k) {
        for (int p = k; p < indices.length; p++) {
            if (indices[p] != indices[p % k] || Float.compare(weights[p], weights[p % k]) != 0) {
                return null;
            }
        }
        return new LoraSelection(Arrays.copyOf(indices, k), Arrays.copyOf(weights, k));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LoraSelection s && Arrays.equals(s.experts, experts) && Arrays.equals(s.weights, weights);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(experts) + Arrays.hashCode(weights);
    }

    @Override
    public String toString() {
        return "experts " + Arrays.toString(experts) + " weights " + Arrays.toString(weights);
    }
}
