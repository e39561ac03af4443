package io.moxie.experts.blas;

import io.moxie.api.InvalidInputException;

/**
 * The {@code T·k} routed (token, slot) pairs of one routing grouped by expert: pair {@code p = t·k + j} gets row
 * {@link #rowOfPair(int)} of the grouped matrices, and the rows of expert {@code e} are the contiguous block
 * {@code [start(e), start(e+1))}, tokens in ascending order within it. A counting sort on the host: {@code T·k}
 * integers, far cheaper than an arg-sort in the engine. Immutable.
 */
final class PairPlan {
    private final int k;
    private final int[] start;
    private final int[] tokenOfRow;
    private final int[] rowOfPair;
    private final int[] expertOfPair;

    private PairPlan(int k, int[] start, int[] tokenOfRow, int[] rowOfPair, int[] expertOfPair) {
        this.k = k;
        this.start = start;
        this.tokenOfRow = tokenOfRow;
        this.rowOfPair = rowOfPair;
        this.expertOfPair = expertOfPair;
    }

    /**
     * @param indices the routing's {@code [T, k]} indices, row-major
     * @param k experts per token
     * @param numExperts {@code E}
     * @param layer for messages
     * @throws InvalidInputException if an index is outside {@code [0, E)}
     */
    static PairPlan of(long[] indices, int k, int numExperts, String layer) {
        int pairs = indices.length;
        int[] expertOfPair = new int[pairs];
        int[] start = new int[numExperts + 1];
        for (int p = 0; p < pairs; p++) {
            long e = indices[p];
            if (e < 0 || e >= numExperts) {
                throw new InvalidInputException("MoE layer " + layer + ": routing sends token " + p / k
                        + " to expert " + e + ", but there are " + numExperts);
            }
            expertOfPair[p] = (int) e;
            start[(int) e + 1]++;
        }
        for (int e = 0; e < numExperts; e++) {
            start[e + 1] += start[e];
        }
        int[] next = start.clone();
        int[] tokenOfRow = new int[pairs];
        int[] rowOfPair = new int[pairs];
        for (int p = 0; p < pairs; p++) {
            int row = next[expertOfPair[p]]++;
            tokenOfRow[row] = p / k;
            rowOfPair[p] = row;
        }
        return new PairPlan(k, start, tokenOfRow, rowOfPair, expertOfPair);
    }

    /** Returns {@code T·k}. */
    int pairs() {
        return rowOfPair.length;
    }

    /** Returns {@code k}. */
    int k() {
        return k;
    }

    /** Returns the first grouped row of expert {@code e}. */
    int start(int e) {
        return start[e];
    }

    /** Returns how many pairs expert {@code e} received. */
    int load(int e) {
        return start[e + 1] - start[e];
    }

    /** Returns the token whose input grouped row {@code row} holds. */
    int tokenOfRow(int row) {
        return tokenOfRow[row];
    }

    /** Returns the grouped row of pair {@code p = t·k + j}. */
    int rowOfPair(int p) {
        return rowOfPair[p];
    }

    /** Returns the expert of pair {@code p}. */
    int expertOfPair(int p) {
        return expertOfPair[p];
    }
}
