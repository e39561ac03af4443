package io.moxie.encoders.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import io.moxie.api.ParameterStore;
import io.moxie.encoders.impl.LayerNorm;

/**
 * CLIP's embeddings and pre-LayerNorm (README §4.1): the stride-{@code P} patch convolution (no bias) as an unfold of
 * the non-overlapping patches plus one GEMM, which is exact for stride = kernel; the class token; position
 * embeddings; {@code pre_layrnorm}. Weights owned by the component's manager; immutable.
 */
final class PatchEmbedding {
    private final TowerConfig config;
    private final NDArray patchWeight;
    private final NDArray classRow;
    private final NDArray patchPositions;
    private final LayerNorm preNorm;

    private PatchEmbedding(TowerConfig config, NDArray patchWeight, NDArray classRow, NDArray patchPositions,
                           LayerNorm preNorm) {
        this.config = config;
        this.patchWeight = patchWeight;
        this.classRow = classRow;
        this.patchPositions = patchPositions;
        this.preNorm = preNorm;
    }

    static PatchEmbedding load(TowerConfig c, ParameterStore params, String prefix, NDManager manager) {
        long d = c.hiddenSize();
        long p = c.patchSize();
        NDArray conv = params.load(prefix + "embeddings.patch_embedding.weight", new Shape(d, c.channels(), p, p), manager);
        NDArray cls = params.load(prefix + "embeddings.class_embedding", new Shape(d), manager);
        NDArray positions = params.load(prefix + "embeddings.position_embedding.weight", new Shape(c.tokens(), d), manager);
        // The class token and its position are added once here: the same single float add the reference does.
        NDArray classPosition = positions.get(new NDIndex("0"));
        NDArray classRow = cls.add(classPosition).reshape(1, 1, d);
        classPosition.close();
        cls.close();
        NDArray patchPositions = positions.get(new NDIndex("1:"));
        LayerNorm norm = LayerNorm.load(params, prefix + "pre_layrnorm.", d, c.eps(), manager);
        // [D, C, P, P] -> [D, C·P·P]: the unfolded patch rows below use the same (c, py, px) order
        return new PatchEmbedding(c, conv.reshape(d, c.channels() * p * p), classRow, patchPositions, norm);
    }

    /** Embeds {@code pixels [N, C, S, S]} into {@code [N, T, D]}; the result belongs to {@code pixels}' manager. */
    NDArray forward(NDArray pixels) {
        long n = pixels.getShape().get(0);
        long g = config.grid();
        long p = config.patchSize();
        long d = config.hiddenSize();
        NDArray patches = pixels.reshape(n, config.channels(), g, p, g, p)
                .transpose(0, 2, 4, 1, 3, 5) // (n, row, column, c, py, px): tokens row-major over the grid
                .reshape(n * g * g, config.channels() * p * p);
        NDArray embedded = Linear.linear(patches, patchWeight).singletonOrThrow().reshape(n, g * g, d).add(patchPositions);
        NDArray cls = pixels.getManager().zeros(new Shape(n, 1, d)).add(classRow);
        return preNorm.apply(NDArrays.concat(new NDList(cls, embedded), 1));
    }
}
