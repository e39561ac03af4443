package io.moxie.encoders.clip;

import ai.djl.ndarray.NDArray;
import io.moxie.api.MoeLayer;
import io.moxie.api.MoeOutput;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;
import io.moxie.blas.RowParts;
import io.moxie.encoders.impl.DenseMlp;
import io.moxie.encoders.impl.LayerNorm;

/**
 * One pre-LN CLIP encoder layer (README §4.2): {@code x += attn(ln1(x)); x += mlp(ln2(x))}, the MLP a MoE layer
 * built by the kernel (CuMo) or a dense MLP (a checkpoint before co-upcycling). Immutable, hence thread-safe.
 */
final class EncoderLayer {
    private final LayerNorm norm1;
    private final SelfAttention attention;
    private final LayerNorm norm2;
    private final MoeLayer moe;
    private final DenseMlp dense;

    /** Exactly one of {@code moe} and {@code dense} is non-null. */
    EncoderLayer(LayerNorm norm1, SelfAttention attention, LayerNorm norm2, MoeLayer moe, DenseMlp dense) {
        this.norm1 = norm1;
        this.attention = attention;
        this.norm2 = norm2;
        this.moe = moe;
        this.dense = dense;
    }

    /** The layer's output and, for a MoE layer, the routing of its {@code N·T} tokens. */
    record Output(NDArray hidden, Routing routing) {
    }

    /**
     * Runs the layer on {@code x [N, T, D]}. Intermediates and the output belong to {@code x}'s manager; the routing
     * belongs to whatever manager the router put it in (the request's, for the built-in routers).
     */
    Output forward(NDArray x, RequestContext request) {
        long[] shape = x.getShape().getShape();
        // residual adds on the GEMMs' parts too (RowParts): nothing in the layer wakes libtorch's OpenMP pool
        NDArray afterAttention = RowParts.add(x, attention.forward(norm1.apply(x)));
        NDArray h = norm2.apply(afterAttention).reshape(shape[0] * shape[1], shape[2]);
        if (moe == null) {
            return new Output(RowParts.add(afterAttention, dense.forward(h).reshape(shape)), null);
        }
        MoeOutput routed = moe.forward(h, request);
        // the expert output is only needed for the residual: let it die with x's scope, not the request
        routed.output().attach(x.getManager());
        return new Output(RowParts.add(afterAttention, routed.output().reshape(shape)), routed.routing());
    }
}
