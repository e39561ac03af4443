package io.moxie.experts;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.moxie.api.ExpertBank;
import io.moxie.api.InvalidInputException;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;

/**
 * What every expert bank's {@link ExpertBank#forward} does around its maths, so that a bank writes only the maths:
 * checks that the input is float32 {@code [T, dIn]} and that the routing is of the same {@code T} tokens over the
 * bank's experts, runs the maths in a scratch scope that borrows the caller's arrays, and hands back only the result,
 * attached to the request's manager. Immutable, hence thread-safe. Public only for the banks of the sibling packages;
 * the bundle exports nothing.
 */
public final class BankForward {
    private final String layer;
    private final String input;
    private final long inputSize;
    private final int numExperts;

    /** A bank's maths, given checked arrays. */
    @FunctionalInterface
    public interface Maths {
        /**
         * Computes {@code y[t] = Σ_j w[t,j] · expert_{idx[t,j]}(x[t])}.
         *
         * @param x {@code [T, dIn]} float32
         * @param routing of the same {@code T} tokens over the bank's experts
         * @param scratch where every intermediate goes: {@code x} and the routing's arrays are attached to it for the
         *                call, so what the engine derives from them lands there too
         * @return {@code [T, dOut]} float32, in {@code scratch}
         */
        NDArray compute(NDArray x, Routing routing, NDManager scratch);
    }

    /**
     * @param layer the layer as messages name it ({@code MoE layer x})
     * @param input the input as messages name it ({@code expert input})
     * @param inputSize {@code dIn}
     * @param numExperts {@code E}
     */
    public BankForward(String layer, String input, long inputSize, int numExperts) {
        this.layer = layer;
        this.input = input;
        this.inputSize = inputSize;
        this.numExperts = numExperts;
    }

    /** For the banks of MoE layer {@code layer} whose experts take rows of {@code inputSize}. */
    public static BankForward ofMoeLayer(String layer, long inputSize, int numExperts) {
        return new BankForward("MoE layer " + layer, "expert input", inputSize, numExperts);
    }

    /**
     * Checks {@code x} and {@code routing}, then runs {@code maths} on them.
     *
     * @throws InvalidInputException if {@code x} is not float32 {@code [T, dIn]}
     * @throws IllegalArgumentException if the routing is not of {@code T} tokens over the bank's experts
     */
    public NDArray run(NDArray x, Routing routing, RequestContext request, Maths maths) {
        if (x.getDataType() != DataType.FLOAT32 || x.getShape().dimension() != 2 || x.getShape().get(1) != inputSize) {
            throw new InvalidInputException(layer + ": " + input + " must be float32 [T, " + inputSize + "], got "
                    + x.getDataType() + " " + x.getShape());
        }
        if (routing.tokens() != x.getShape().get(0) || routing.numExperts() != numExperts) {
            throw new IllegalArgumentException(layer + ": routing of " + routing.tokens() + " tokens over "
                    + routing.numExperts() + " experts does not fit input " + x.getShape() + " and " + numExperts
                    + " experts");
        }
        try (NDManager scratch = request.manager().newSubManager()) {
            // Borrowed, not taken: the caller's arrays return to their managers when the scratch scope closes (and a
            // contiguous copy the engine may make of x for sharing its memory dies with the scope).
            x.tempAttach(scratch);
            routing.indices().tempAttach(scratch);
            routing.weights().tempAttach(scratch);
            NDArray y = maths.compute(x, routing, scratch);
            y.attach(request.manager());
            return y;
        }
    }
}
