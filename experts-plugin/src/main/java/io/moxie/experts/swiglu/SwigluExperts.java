package io.moxie.experts.swiglu;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import io.moxie.api.ComponentContext;
import io.moxie.api.ModelFormatException;
import io.moxie.api.MoeSpec;
import io.moxie.api.MoxieException;
import io.moxie.api.ParameterStore;
import java.util.List;

/**
 * The weights of the {@code E} SwiGLU experts of one layer, Mixtral layout ({@code nn.Linear} {@code [out, in]}, no
 * biases): {@code w1} (gate) and {@code w3} (up) {@code [I, d]}, {@code w2} (down) {@code [d, I]}. Each expert's
 * {@code w1} and {@code w3} are stacked into one {@code [2I, d]} matrix at load time so the gate and up projections
 * are a single GEMM. Float32, owned by the component's manager; immutable, hence thread-safe.
 */
final class SwigluExperts {
    static final String W1 = "w1";
    static final String W2 = "w2";
    static final String W3 = "w3";

    private final NDArray[] gateUp;
    private final NDArray[] down;
    private final long inputSize;
    private final long intermediateSize;

    private SwigluExperts(NDArray[] gateUp, NDArray[] down, long inputSize, long intermediateSize) {
        this.gateUp = gateUp;
        this.down = down;
        this.inputSize = inputSize;
        this.intermediateSize = intermediateSize;
    }

    /**
     * Loads every expert of the spec into the component's manager.
     *
     * @throws ModelFormatException naming the key of a missing or mis-shaped tensor
     * @throws MoxieException if the spec asks for an activation other than {@code silu}
     */
    static SwigluExperts load(ComponentContext context, MoeSpec spec) {
        String activation = spec.option("activation", "silu");
        if (!"silu".equals(activation)) {
            throw new MoxieException("MoE layer " + spec.layer() + ": swiglu experts use silu, not '" + activation
                    + "'");
        }
        ParameterStore params = context.parameters();
        Shape w1 = params.shape(spec.expertKey(W1, 0));
        if (w1.dimension() != 2) {
            throw new ModelFormatException("model '" + params.modelName() + "': expert weight '"
                    + spec.expertKey(W1, 0) + "' has shape " + w1 + ", expected [intermediate, hidden]");
        }
        long inter = w1.get(0);
        long hidden = w1.get(1);
        int e = spec.numExperts();
        NDArray[] gateUp = new NDArray[e];
        NDArray[] down = new NDArray[e];
        for (int i = 0; i < e; i++) {
            // gate and up straight into one array: no freed copies left resident in the allocator
            Shape half = new Shape(inter, hidden);
            gateUp[i] = params.loadConcatenated(List.of(spec.expertKey(W1, i), spec.expertKey(W3, i)),
                    List.of(half, half), context.manager());
            down[i] = params.load(spec.expertKey(W2, i), new Shape(hidden, inter), context.manager());
        }
        return new SwigluExperts(gateUp, down, hidden, inter);
    }

    /** Runs expert {@code e} on rows {@code [n, d]}; the result {@code [n, d]} belongs to {@code x}'s manager. */
    NDArray forward(int e, NDArray x) {
        NDArray gateUpOut = Linear.linear(x, gateUp[e]).singletonOrThrow();
        NDArray gate = gateUpOut.get(new NDIndex(":, 0:{}", intermediateSize));
        NDArray up = gateUpOut.get(new NDIndex(":, {}:", intermediateSize));
        NDArray hidden = gate.mul(Activation.sigmoid(gate)).muli(up);
        return Linear.linear(hidden, down[e]).singletonOrThrow();
    }

    int numExperts() {
        return gateUp.length;
    }

    /** Returns expert {@code e}'s stacked gate and up weights {@code [2I, d]}, gate rows first; callers only read it. */
    NDArray gateUp(int e) {
        return gateUp[e];
    }

    /** Returns expert {@code e}'s down weight {@code [d, I]}; callers only read it. */
    NDArray down(int e) {
        return down[e];
    }

    long intermediateSize() {
        return intermediateSize;
    }

    long inputSize() {
        return inputSize;
    }
}
