package io.moxie.encoders.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import io.moxie.api.ParameterStore;

/**
 * CLIP multi-head self-attention (README §4.2), no mask. The q, k and v projections are fused into one GEMM with
 * the {@code head_dim^-0.5} scale folded into the q rows (the reference scales q after its bias; scaling weight and
 * bias instead is the same product up to float32 round-off). Weights owned by the component's manager; immutable.
 */
final class SelfAttention {
    private final int heads;
    private final NDArray qkvWeight;
    private final NDArray qkvBias;
    private final NDArray outWeight;
    private final NDArray outBias;

    private SelfAttention(int heads, NDArray qkvWeight, NDArray qkvBias, NDArray outWeight, NDArray outBias) {
        this.heads = heads;
        this.qkvWeight = qkvWeight;
        this.qkvBias = qkvBias;
        this.outWeight = outWeight;
        this.outBias = outBias;
    }

    static SelfAttention load(TowerConfig c, ParameterStore params, String prefix, NDManager manager) {
        long d = c.hiddenSize();
        Shape square = new Shape(d, d);
        Shape vector = new Shape(d);
        float scale = (float) Math.pow((double) d / c.heads(), -0.5);
        NDList weights = new NDList();
        NDList biases = new NDList();
        for (String proj : new String[] {"q_proj.", "k_proj.", "v_proj."}) {
            weights.add(params.load(prefix + proj + "weight", square, manager));
            biases.add(params.load(prefix + proj + "bias", vector, manager));
        }
        scaleFirst(weights, scale);
        scaleFirst(biases, scale);
        NDArray qkvWeight = NDArrays.concat(weights);
        NDArray qkvBias = NDArrays.concat(biases);
        // only the fused tensors are kept
        weights.close();
        biases.close();
        return new SelfAttention(c.heads(), qkvWeight, qkvBias, params.load(prefix + "out_proj.weight", square, manager),
                params.load(prefix + "out_proj.bias", vector, manager));
    }

    private static void scaleFirst(NDList arrays, float scale) {
        NDArray unscaled = arrays.get(0);
        arrays.set(0, unscaled.mul(scale));
        unscaled.close();
    }

    /** Attends over {@code h [N, T, D]}; the result {@code [N, T, D]} belongs to {@code h}'s manager. */
    NDArray forward(NDArray h) {
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
