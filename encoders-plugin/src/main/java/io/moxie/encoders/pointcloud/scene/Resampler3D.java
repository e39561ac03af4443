package io.moxie.encoders.pointcloud.scene;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import java.util.List;

/**
 * Octavius's {@code Resampler3D} (README-octavius §4): learned queries, then per layer a cross-attention over the
 * objects and a self-attention over the queries, each post-LN ({@code LN(q + fc_o(softmax(q k^T / sqrt(dk)) v))}).
 *
 * <p>The caller passes only the kept objects: a slot with mask 0 gets weight exactly 0 after the reference's masked
 * softmax, so leaving it out gives the same result. Immutable, hence thread-safe.
 */
final class Resampler3D {
    private final List<AttentionWeights> cross;
    private final List<AttentionWeights> self;
    private final int hidden;
    private final int heads;
    private final float sqrtHeadDim;
    private final float eps;

    Resampler3D(List<AttentionWeights> cross, List<AttentionWeights> self, int hidden, int heads, float eps) {
        this.cross = cross;
        this.self = self;
        this.hidden = hidden;
        this.heads = heads;
        this.sqrtHeadDim = (float) Math.sqrt((double) hidden / heads);
        this.eps = eps;
    }

    /**
     * @param queries {@code [Q, H]}, an array of the request (it is not modified)
     * @param objects {@code [n, H]} the kept objects' embeddings, {@code n >= 1}
     * @return {@code [Q, H]} in the manager of {@code queries}
     */
    NDArray forward(NDArray queries, NDArray objects) {
        NDArray z = queries;
        for (int i = 0; i < cross.size(); i++) {
            z = attend(cross.get(i), z, objects);
            z = attend(self.get(i), z, z);
        }
        return z;
    }

    private NDArray attend(AttentionWeights p, NDArray query, NDArray keysValues) {
        long nq = query.getShape().get(0);
        long nk = keysValues.getShape().get(0);
        long dk = hidden / heads;
        NDArray q = Linear.linear(query, p.fcQ(), p.fcQBias()).singletonOrThrow().reshape(nq, heads, dk).transpose(1, 0, 2);
        NDArray k = Linear.linear(keysValues, p.fcK(), p.fcKBias()).singletonOrThrow().reshape(nk, heads, dk).transpose(1, 2, 0);
        NDArray v = Linear.linear(keysValues, p.fcV(), p.fcVBias()).singletonOrThrow().reshape(nk, heads, dk).transpose(1, 0, 2);
        NDArray weights = q.matMul(k).divi(sqrtHeadDim).softmax(-1);
        NDArray mixed = weights.matMul(v).transpose(1, 0, 2).reshape(nq, hidden);
        NDArray out = Linear.linear(mixed, p.fcO(), p.fcOBias()).singletonOrThrow();
        return LayerNorm.layerNorm(out.addi(query), new Shape(hidden), p.norm(), p.normBias(), eps).singletonOrThrow();
    }
}
