package io.moxie.kernel.tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/** Row operations on host tensors along the first dimension, for batching requests and splitting the answers. */
public final class HostTensors {
    private HostTensors() {
    }

    /**
     * Concatenates tensors of equal dtype and equal shape but for the first dimension.
     *
     * @throws IllegalArgumentException if dtypes or trailing dimensions differ
     */
    public static HostTensor concat(List<HostTensor> parts) {
        HostTensor first = parts.get(0);
        long rows = 0;
        int bytes = 0;
        for (HostTensor t : parts) {
            if (t.dataType() != first.dataType() || t.shape().length != first.shape().length || t.shape().length == 0
                    || !Arrays.equals(Arrays.copyOfRange(t.shape(), 1, t.shape().length),
                            Arrays.copyOfRange(first.shape(), 1, first.shape().length))) {
                throw new IllegalArgumentException("cannot concatenate " + t + " with " + first);
            }
            rows += t.shape()[0];
            bytes += t.data().remaining();
        }
        ByteBuffer out = ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
        parts.forEach(t -> out.put(t.data()));
        out.flip();
        long[] shape = first.shape();
        shape[0] = rows;
        return new HostTensor(first.dataType(), shape, out);
    }

    /**
     * Takes one request's rows out of a batched tensor whose first dimension is {@code blocks} blocks of
     * {@code batchRows} rows each: rows {@code [offset, offset + count)} of every block, in block order.
     *
     * @throws IllegalArgumentException if the first dimension is not a whole number of blocks
     */
    public static HostTensor blockRows(HostTensor batched, long batchRows, long offset, long count) {
        long[] shape = batched.shape();
        if (shape.length == 0 || batchRows <= 0 || shape[0] % batchRows != 0) {
            throw new IllegalArgumentException("output " + batched + " does not split into blocks of " + batchRows + " rows");
        }
        long blocks = shape[0] / batchRows;
        long rowBytes = batched.data().remaining() / Math.max(1, shape[0]);
        ByteBuffer src = batched.data();
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(blocks * count * rowBytes)).order(ByteOrder.LITTLE_ENDIAN);
        for (long b = 0; b < blocks; b++) {
            int from = Math.toIntExact((b * batchRows + offset) * rowBytes);
            out.put(src.duplicate().position(from).limit(Math.toIntExact(from + count * rowBytes)));
        }
        out.flip();
        shape[0] = blocks * count;
        return new HostTensor(batched.dataType(), shape, out);
    }

    /** Returns the index of the first NaN or infinite element of a floating-point tensor, or -1 (always for integers). */
    public static long firstNonFinite(HostTensor t) {
        ByteBuffer b = t.data();
        long n = t.numElements();
        for (int i = 0; i < n; i++) {
            boolean finite = switch (t.dataType()) {
                case FLOAT32 -> Float.isFinite(b.getFloat(i * 4));
                case FLOAT64 -> Double.isFinite(b.getDouble(i * 8));
                // half precision: all-ones exponent bits mean NaN or infinity
                case FLOAT16 -> (b.getShort(i * 2) & 0x7C00) != 0x7C00;
                case BFLOAT16 -> (b.getShort(i * 2) & 0x7F80) != 0x7F80;
                default -> true;
            };
            if (!finite) {
                return i;
            }
        }
        return -1;
    }
}
