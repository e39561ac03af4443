package io.moxie.experts.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import io.moxie.api.ComponentContext;
import io.moxie.api.ModelFormatException;
import io.moxie.api.MoeSpec;
import io.moxie.api.ParameterStore;
import io.moxie.blas.BlasLinear;
import io.moxie.blas.OpenBlas;

/**
 * The weights of one LoRA-MoE projection: the frozen base {@code W} {@code [out, in]} ({@code nn.Linear} layout)
 * and the {@code E} experts' {@code A_e} {@code [in, r]} and {@code B_e} {@code [r, out]}, read from the authors'
 * stacked tensors {@code [E, in, r]} and {@code [E, r, out]}. Float32, owned by the component's manager; immutable,
 * hence thread-safe. Results of the methods below never stay in the component's manager: weights are shared by all
 * requests, so every array derived from them is attached to the caller's manager at once. On the CPU the base
 * product runs on OpenBLAS ({@link BlasLinear}: about twice DJL's GEMM on AMD CPUs, and a decode step's one-row
 * product as a matrix-vector product), on DJL elsewhere.
 */
final class LoraWeights {
    static final String BASE = "base";
    static final String A = "A";
    static final String B = "B";

    private final NDArray base;
    private final BlasLinear blasBase;
    private final NDArray[] a;
    private final NDArray[] b;

    /** @param blasBase the base weight seen by OpenBLAS, or null to run it on DJL */
    private LoraWeights(NDArray base, BlasLinear blasBase, NDArray[] a, NDArray[] b) {
        this.base = base;
        this.blasBase = blasBase;
        this.a = a;
        this.b = b;
    }

    /**
     * Loads the base projection ({@code base}) and the stacked experts ({@code A}, {@code B}) the spec names; the
     * templates carry no {@code {e}} since each tensor holds every expert.
     *
     * @throws ModelFormatException naming the key of a missing or mis-shaped tensor
     */
    static LoraWeights load(ComponentContext context, MoeSpec spec) {
        ParameterStore params = context.parameters();
        String baseKey = spec.expertKey(BASE, 0);
        Shape baseShape = params.shape(baseKey);
        String aKey = spec.expertKey(A, 0);
        Shape aShape = params.shape(aKey);
        if (baseShape.dimension() != 2 || aShape.dimension() != 3) {
            throw new ModelFormatException("model '" + params.modelName() + "': LoRA-MoE layer " + spec.layer()
                    + " needs base '" + baseKey + "' [out, in] and '" + aKey + "' [experts, in, r], got " + baseShape
                    + " and " + aShape);
        }
        long out = baseShape.get(0);
        long in = baseShape.get(1);
        long r = aShape.get(2);
        int e = spec.numExperts();
        NDManager m = context.manager();
        NDArray base = params.load(baseKey, new Shape(out, in), m);
        NDArray stackedA = params.load(aKey, new Shape(e, in, r), m);
        NDArray stackedB = params.load(spec.expertKey(B, 0), new Shape(e, r, out), m);
        NDArray[] a = new NDArray[e];
        NDArray[] b = new NDArray[e];
        for (int i = 0; i < e; i++) {
            // views into the stacked tensors, made once so requests never index the shared weights
            a[i] = stackedA.get(i);
            b[i] = stackedB.get(i);
        }
        BlasLinear blasBase = OpenBlas.availableFor(base)
                ? BlasLinear.of(base, null, BlasLinear.Split.SHARE_WEIGHT) : null;
        return new LoraWeights(base, blasBase, a, b);
    }

    /** Returns {@code x Wᵀ} {@code [T, out]} in {@code x}'s manager. */
    NDArray baseForward(NDArray x) {
        return blasBase != null ? blasBase.apply(x) : Linear.linear(x, base).singletonOrThrow();
    }

    /** Returns whether the products run on OpenBLAS (the weights are on the CPU and OpenBLAS loads). */
    boolean onBlas() {
        return blasBase != null;
    }

    /** Returns expert {@code e}'s delta {@code (x A_e) B_e} {@code [n, out]} in {@code x}'s manager. */
    NDArray delta(int e, NDArray x) {
        return x.matMul(a[e]).matMul(b[e]);
    }

    /**
     * Returns the chosen experts' {@code A} side by side, {@code [in, k·r]}, in {@code target}: with
     * {@link #scaledB} it turns the sum of the {@code k} deltas into two GEMMs.
     */
    NDArray concatA(long[] experts, NDManager target) {
        NDList parts = new NDList();
        for (long e : experts) {
            parts.add(a[(int) e]);
        }
        NDArray cat = NDArrays.concat(parts, 1);
        cat.attach(target);
        return cat;
    }

    /** Returns the chosen experts' {@code w_j B_{e_j}} stacked, {@code [k·r, out]}, in {@code target}. */
    NDArray scaledB(long[] experts, float[] weights, NDManager target) {
        NDList parts = new NDList();
        for (int j = 0; j < experts.length; j++) {
            parts.add(target.create(weights[j]).mul(b[(int) experts[j]]));
        }
        NDArray cat = NDArrays.concat(parts, 0);
        parts.close();
        return cat;
    }

    /**
     * Returns the merged weight {@code W' = W + (Σ_j w_j A_{e_j} B_{e_j})ᵀ} {@code [out, in]}, computed as one GEMM
     * {@code scaledBᵀ · concatAᵀ} added to {@code W}.
     */
    NDArray merge(NDArray concatA, NDArray scaledB) {
        try (NDArray bt = scaledB.transpose(); NDArray at = concatA.transpose()) {
            return bt.matMul(at).addi(base);
        }
    }

    /** {@link #merge} on OpenBLAS ({@link BlasLora#merge}), for weights on the CPU; the result is in {@code target}. */
    NDArray mergeOnBlas(NDArray concatA, NDArray scaledB, NDManager target) {
        return BlasLora.merge(base, concatA, scaledB, target);
    }

    long inputSize() {
        return base.getShape().get(1);
    }

    int numExperts() {
        return a.length;
    }
}
