package io.moxie.cli.upcycle;

/**
 * The 32-bit Mersenne Twister (MT19937) exactly as ATen's {@code at::mt19937} and {@code std::mt19937}: the
 * reference initialisation from a 32-bit seed and the standard tempering. Not thread-safe.
 */
final class Mt19937 {
    private static final int N = 624;
    private static final int M = 397;
    private static final int MATRIX_A = 0x9908b0df;
    private static final int UPPER_MASK = 0x80000000;
    private static final int LOWER_MASK = 0x7fffffff;

    private final int[] state = new int[N];
    private int next;

    /** Seeds with the low 32 bits of {@code seed}, as {@code at::mt19937(uint64_t)} does. */
    Mt19937(long seed) {
        state[0] = (int) seed;
        for (int j = 1; j < N; j++) {
            // unsigned 32-bit arithmetic: int overflow wraps the same way
            state[j] = 1812433253 * (state[j - 1] ^ (state[j - 1] >>> 30)) + j;
        }
        next = N; // the first draw regenerates the whole state, as ATen's left_ = 1 does
    }

    /** The next 32-bit output; read it as unsigned ({@link Integer#toUnsignedLong}). */
    int nextInt() {
        if (next >= N) {
            twist();
        }
        int y = state[next++];
        y ^= y >>> 11;
        y ^= (y << 7) & 0x9d2c5680;
        y ^= (y << 15) & 0xefc60000;
        y ^= y >>> 18;
        return y;
    }

    private void twist() {
        for (int k = 0; k < N; k++) {
            int y = (state[k] & UPPER_MASK) | (state[(k + 1) % N] & LOWER_MASK);
            state[k] = state[(k + M) % N] ^ (y >>> 1) ^ ((y & 1) != 0 ? MATRIX_A : 0);
        }
        next = 0;
    }
}
