package io.moxie.blas;

/**
 * Softmax over rows of a heap array, for the fused CPU paths that keep attention scores on the heap between two
 * OpenBLAS products: {@code exp(x - max) / sum}, as PyTorch computes it, the sum in double (at least as close to the
 * exact result as PyTorch's float reduction). Stateless.
 */
public final class Softmax {
    private Softmax() {
    }

    /** Softmax of {@code x[from, from + n)} in place. */
    public static void inPlace(float[] x, int from, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = from; i < from + n; i++) {
            max = Math.max(max, x[i]);
        }
        double sum = 0;
        for (int i = from; i < from + n; i++) {
            float e = (float) Math.exp(x[i] - max);
            x[i] = e;
            sum += e;
        }
        float inverse = (float) (1 / sum);
        for (int i = from; i < from + n; i++) {
            x[i] *= inverse;
        }
    }

    /** Softmax of each of the {@code rows} consecutive rows of {@code length} values of {@code x}, in place. */
    public static void rowsInPlace(float[] x, int rows, int length) {
        for (int r = 0; r < rows; r++) {
            inPlace(x, r * length, length);
        }
    }
}
