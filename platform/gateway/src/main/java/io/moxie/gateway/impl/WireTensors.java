package io.moxie.gateway.impl;

import ai.djl.ndarray.types.DataType;
import io.moxie.api.InvalidInputException;
import io.moxie.kernel.tensor.HostTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/** Checks and builds tensors that arrive as bytes, naming the input in every complaint. */
public final class WireTensors {
    private WireTensors() {
    }

    /**
     * Returns the element count of a shape.
     *
     * @throws InvalidInputException for negative dimensions or a count that overflows
     */
    public static long elements(String input, List<Long> shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new InvalidInputException("input '" + input + "': shape " + shape + " has a negative dimension");
            }
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new InvalidInputException("input '" + input + "': shape " + shape + " is too large");
            }
        }
        return n;
    }

    /** Returns the shape as an array. */
    public static long[] shape(List<Long> shape) {
        return shape.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * Wraps little-endian row-major bytes as a tensor, checking the byte count against dtype and shape.
     *
     * @param datatype the wire name, for messages
     */
    public static HostTensor fromBytes(String input, String datatype, DataType type, List<Long> shape, ByteBuffer data) {
        long elements = elements(input, shape);
        long expected = elements * type.getNumOfBytes();
        if (data.remaining() != expected) {
            throw new InvalidInputException("input '" + input + "': " + datatype + shape + " needs " + expected
                    + " bytes of data, got " + data.remaining());
        }
        return new HostTensor(type, shape(shape), data.order(ByteOrder.LITTLE_ENDIAN));
    }
}
