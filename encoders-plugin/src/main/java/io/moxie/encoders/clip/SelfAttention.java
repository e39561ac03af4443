package io.moxie.encoders.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import io.moxie.api.ParameterStore;
import java.util.List;

/**
 * CLIP multi-head self-attention (README §4.2), no mask. The q, k and v projections are fused into one GEMM with
 * the {@code head_dim^-0.5} scale folded into the q rows (the reference scales q after its bias; scaling weight and
 * bias instead is the same product up to float32 round-off). On the CPU, when OpenBLAS can be loaded, every GEMM runs
 * there instead ({@link BlasAttention}). Weights owned by the component's manager; immutable.
 */
final class SelfAttention {
    private final int heads;
    private final NDArray qkvWeight;
    private final NDArray qkvBias;
    private final NDArray outWeight;
    private final NDArray outBias;
    /** The same maths on OpenBLAS (about 2x DJL's GEMM on AMD CPUs), or null to run on DJL. */
    private final BlasAttention blas;

    private SelfAttention(int heads, NDArray qkvWeight, NDArray qkvBias, NDArray outWeight, NDArray outBias) {
        this(heads, qkvWeight, qkvBias, outWeight, outBias,
                BlasAttention.ifAvailable(heads, qkvWeight, qkvBias, outWeight, outBias));
    }

    private SelfAttention(int heads, NDArray qkvWeight, NDArray qkvBias, NDArray outWeight, NDArray outBias,
                          BlasAttention blas) {
        this.heads = heads;
        this.qkvWeight = qkvWeight;
        this.qkvBias = qkvBias;
        this.outWeight = outWeight;
        this.outBias = outBias;
        this.blas = blas;
    }

    /** Returns this attention running on DJL whatever is available (same weights; for comparisons). */
    SelfAttention onDjl() {
        return new SelfAttention(heads, qkvWeight, qkvBias, outWeight, outBias, null);
    }

    static SelfAttention load(TowerConfig c, ParameterStore params, String prefix, NDManager manager) {
        long d = c.hiddenSize();
        Shape square = new Shape(d, d);
        Shape vector = new Shape(d);
        float scale = (float) Math.pow((double) d / c.heads(), -0.5);
        NDArray qkvWeight = fusedProjection(params, prefix, "weight", square, scale, manager);
        NDArray qkvBias = fusedProjection(params, prefix, "bias", vector, scale, manager);
        return new SelfAttention(c.heads(), qkvWeight, qkvBias, params.load(prefix + "out_proj.weight", square, manager),
                params.load(prefix + "out_proj.bias", vector, manager));
    }

    /**
     * Returns q, k and v's {@code part} (weight or bias) stacked along rows, the q rows scaled. A checkpoint holds them
     * as three tensors (Hugging Face), loaded straight into one array, or already stacked as PyTorch
     * {@code nn.MultiheadAttention}'s {@code in_proj} (OpenAI CLIP), rows q, then k, then v. The q rows are scaled in
     * place: building the fused weight allocates nothing beside it (a freed weight-sized temporary would stay resident
     * in the allocator's heap).
     */
    private static NDArray fusedProjection(ParameterStore params, String prefix, String part, Shape one, float scale,
                                           NDManager manager) {
        String fused = prefix + "in_proj_" + part;
        NDArray qkv;
        if (params.contains(fused)) {
            long[] stacked = one.getShape().clone();
            stacked[0] *= 3;
            qkv = params.load(fused, new Shape(stacked), manager);
        } else {
            qkv = params.loadConcatenated(List.of(prefix + "q_proj." + part, prefix + "k_proj." + part,
                    prefix + "v_proj." + part), List.of(one, one, one), manager);
        }
        try (NDArray q = qkv.get(new NDIndex("0:{}", one.get(0)))) {
            q.muli(scale); // a view: scales the q rows of qkv
        }
        return qkv;
    }

    /** Attends over {@code h [N, T, D]}; the result {@code [N, T, D]} belongs to {@code h}'s manager. */
    NDArray forward(NDArray h) {
        if (blas != null) {
            return blas.forward(h);
        }
        long n = h.getShape().get(0);
        long t = h.getShape().get(1);
        long d = h.getShape().get(2);
        NDArray qkv = Linear.linear(h, qkvWeight, qkvBias).singletonOrThrow()
                .reshape(n, t, 3, heads, d / heads)
                .transpose(2, 0, 3, 1, 4); // [3, N, heads, T, head_dim]
        NDArray q = qkv.get(0);
        NDArray k = qkv.get(1);
        NDArray v = qkv.get(2);
        NDArray attended = q.matMul(k.transpose(0, 1, 3, 2)).softmax(-1).matMul(v); // [N, heads, T, head_dim]
        NDArray merged = attended.transpose(0, 2, 1, 3).reshape(n, t, d);
        return Linear.linear(merged, outWeight, outBias).singletonOrThrow();
    }
}
