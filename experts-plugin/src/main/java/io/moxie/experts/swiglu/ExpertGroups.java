package io.moxie.experts.swiglu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * The {@code T·k} routed (token, slot) pairs of one routing grouped by expert, for grouped execution: gather the
 * rows of each active expert into one contiguous block, run the expert once per block, put the outputs back in pair
 * order and sum the {@code k} weighted rows of each token.
 *
 * <p>The grouping is computed on the host from the routing's indices (a counting sort of {@code T·k} integers, far
 * cheaper than the device round trips of an arg-sort for the few pairs a decode step routes). The un-permute +
 * weighted sum replaces a scatter-add ({@code index_add}): every token owns exactly {@code k} pairs, so the result is
 * the same and deterministic. Immutable.
 */
public final class ExpertGroups {
    private final int tokens;
    private final int k;
    private final long[] load;
    private final long[] tokenOfSortedPair;
    private final long[] sortedPositionOfPair;

    private ExpertGroups(int tokens, int k, long[] load, long[] tokenOfSortedPair, long[] sortedPositionOfPair) {
        this.tokens = tokens;
        this.k = k;
        this.load = load;
        this.tokenOfSortedPair = tokenOfSortedPair;
        this.sortedPositionOfPair = sortedPositionOfPair;
    }

    /**
     * Groups the pairs of a routing.
     *
     * @param expertOfPair the routing's indices in row-major order: pair {@code p = t·k + j} goes to expert
     *                     {@code expertOfPair[p]}
     * @param k experts per token
     * @param numExperts {@code E}
     * @throws IllegalArgumentException if an index is outside {@code [0, E)}
     */
    public static ExpertGroups of(long[] expertOfPair, int k, int numExperts) {
        int pairs = expertOfPair.length;
        long[] load = new long[numExperts];
        for (long e : expertOfPair) {
            if (e < 0 || e >= numExperts) {
                throw new IllegalArgumentException("routing names expert " + e + " of " + numExperts);
            }
            load[(int) e]++;
        }
        long[] next = new long[numExperts];
        for (int e = 1; e < numExperts; e++) {
            next[e] = next[e - 1] + load[e - 1];
        }
        long[] tokenOfSorted = new long[pairs];
        long[] positionOfPair = new long[pairs];
        for (int p = 0; p < pairs; p++) {
            int slot = (int) next[(int) expertOfPair[p]]++;
            tokenOfSorted[slot] = p / k;
            positionOfPair[p] = slot;
        }
        return new ExpertGroups(pairs / k, k, load, tokenOfSorted, positionOfPair);
    }

    /** One expert run on a block of rows. */
    @FunctionalInterface
    public interface Expert {
        /**
         * @param e the expert
         * @param rows {@code [n, dIn]}, the rows routed to it
         * @return {@code [n, dOut]}, in the manager of {@code rows}
         */
        NDArray apply(int e, NDArray rows);
    }

    /**
     * Computes {@code y[t] = Σ_j w[t,j] · expert_{idx[t,j]}(x[t])}, running each active expert once.
     *
     * @param x {@code [T, dIn]}; every intermediate and the result go to its manager
     * @param weights {@code [T, k]} float32, the routing's weights
     * @return {@code [T, dOut]}
     */
    public NDArray combine(NDArray x, NDArray weights, Expert expert) {
        NDArray grouped = x.get(new NDIndex("{}", x.getManager().create(tokenOfSortedPair)));
        NDList outputs = new NDList();
        long start = 0;
        for (int e = 0; e < load.length; e++) {
            if (load[e] > 0) {
                outputs.add(expert.apply(e, grouped.get(new NDIndex("{}:{}", start, start + load[e]))));
                start += load[e];
            }
        }
        NDArray sorted = outputs.size() == 1 ? outputs.head() : NDArrays.concat(outputs);
        long outSize = sorted.getShape().get(1);
        NDArray inPairOrder = sorted.get(new NDIndex("{}", x.getManager().create(sortedPositionOfPair)))
                .reshape(new Shape(tokens, k, outSize));
        return inPairOrder.mul(weights.expandDims(2)).sum(new int[] {1});
    }

    /** Returns how many pairs each expert received. */
    public long[] load() {
        return load.clone();
    }

    /** Returns how many pairs expert {@code e} received (its rows in the grouped order). */
    int load(int e) {
        return (int) load[e];
    }

    /** Returns the token whose row is row {@code row} of the grouped order (experts' blocks one after another). */
    int tokenOfRow(int row) {
        return (int) tokenOfSortedPair[row];
    }

    /** Returns the grouped row of pair {@code p = t·k + j}. */
    int rowOfPair(int p) {
        return (int) sortedPositionOfPair[p];
    }
}
