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
    private final NDArray firstQueries;

    /**
     * @param queries the learned queries {@code [Q, H]}; their first cross-attention projection, which no request
     *                changes, is computed here once, into the queries' (the component's) manager
     */
    Resampler3D(NDArray queries, List<AttentionWeights> cross, List<AttentionWeights> self, int hidden, int heads,
                float eps) {
        this.cross = cross;
        this.self = self;
        this.hidden = hidden;
        this.heads = heads;
        this.sqrtHeadDim = (float) Math.sqrt((double) hidden / heads);
        this.eps = eps;
        this.firstQueries = cross.isEmpty() ? null
                : Linear.linear(queries, cross.get(0).fcQ(), cross.get(0).fcQBias()).singletonOrThrow();
    }

    /**
     * @param queries {@code [Q, H]}: a request's copy of the learned queries (it is not modified)
     * @param objects {@code [n, H]} the kept objects' embeddings, {@code n >= 1}
     * @return {@code [Q, H]} in the manager of {@code queries}
     */
    NDArray forward(NDArray queries, NDArray objects) {
        NDArray z = queries;
        for (int i = 0; i < cross.size(); i++) {
            AttentionWeights c = cross.get(i);
            // the request's own copy of the shared projection, so that every result lands in the request's memory
            NDArray projected = i == 0 ? queries.zerosLike().addi(firstQueries)
                    : Linear.linear(z, c.fcQ(), c.fcQBias()).singletonOrThrow();
            z = attend(c, z, projected, objects);
            AttentionWeights s = self.get(i);
            z = attend(s, z, Linear.linear(z, s.fcQ(), s.fcQBias()).singletonOrThrow(), z);
        }
        return z;
    }

    /** {@code projected} is {@code fc_q(query)}, {@code [Q, H]}. */
    private NDArray attend(AttentionWeights p, NDArray query, NDArray projected, NDArray keysValues) {
        long nq = query.getShape().get(0);
        long nk = keysValues.getShape().get(0);
        long dk = hidden / heads;
        NDArray q = projected.reshape(nq, heads, dk).transpose(1, 0, 2);
        NDArray k = Linear.linear(keysValues, p.fcK(), p.fcKBias()).singletonOrThrow().reshape(nk, heads, dk).transpose(1, 2, 0);
        NDArray v = Linear.linear(keysValues, p.fcV(), p.fcVBias()).singletonOrThrow().reshape(nk, heads, dk).transpose(1, 0, 2);
        NDArray weights = q.matMul(k).divi(sqrtHeadDim).softmax(-1);
        NDArray mixed = weights.matMul(v).transpose(1, 0, 2).reshape(nq, hidden);
        NDArray out = Linear.linear(mixed, p.fcO(), p.fcOBias()).singletonOrThrow();
        return LayerNorm.layerNorm(out.addi(query), new Shape(hidden), p.norm(), p.normBias(), eps).singletonOrThrow();
    }
}
