package io.moxie.encoders.pointcloud.scene;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import io.moxie.api.InvalidInputException;
import io.moxie.api.RequestContext;
import io.moxie.api.Stage;
import io.moxie.api.TensorSpec;
import io.moxie.encoders.pointcloud.Octavius3dConfig;
import io.moxie.encoders.pointcloud.PointCloudChecks;
import io.moxie.encoders.pointcloud.WarmUpScene;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Octavius scene aggregation (README-octavius §4, {@code encode_pcl}): {@code pos_3d_proj} of each box added to its
 * object's features, the {@link Resampler3D} over the kept objects, {@code llama_proj_3d} (Linear + LayerNorm).
 * On the CPU with OpenBLAS loadable it all runs as one fused pass ({@link BlasSceneAggregation}), on DJL otherwise.
 * Thread-safe: the weights are read-only and all request state is local.
 *
 * <p>Inputs: {@code object_features} float32 {@code [M, H]}, {@code boxes} float32 {@code [M, 6]}, {@code object_mask}
 * int64 {@code [M]} (optional: all kept). Outputs, attached to the request's manager: {@code object_embeds} float32
 * {@code [M, H]} (zero rows where the mask is 0), {@code resampler_out} float32 {@code [Q, H]}, {@code scene_tokens}
 * float32 {@code [Q, llm_hidden_size]}.
 */
final class SceneAggregatorStage implements Stage {
    private final Octavius3dConfig c;
    private final SceneWeights w;
    /** The same maths fused on OpenBLAS on the calling thread, or null to run on DJL. */
    private final BlasSceneAggregation blas;
    /** The DJL path's resampler, built only when it runs (it precomputes the first projection in its own copy). */
    private final Resampler3D resampler;

    SceneAggregatorStage(Octavius3dConfig config, SceneWeights weights) {
        this(config, weights, BlasSceneAggregation.ifAvailable(config, weights));
    }

    private SceneAggregatorStage(Octavius3dConfig config, SceneWeights weights, BlasSceneAggregation blas) {
        this.c = config;
        this.w = weights;
        this.blas = blas;
        this.resampler = blas != null ? null : new Resampler3D(weights.queries(), weights.crossAttention(),
                weights.selfAttention(), config.hiddenSize(), config.resamplerHeads(), config.layerNormEps());
    }

    /** Returns this stage running on DJL whatever is available (same weights; for comparisons). */
    SceneAggregatorStage onDjl() {
        return new SceneAggregatorStage(c, w, null);
    }

    /** Returns whether requests run on the fused OpenBLAS path. */
    boolean fused() {
        return blas != null;
    }

    @Override
    public List<TensorSpec> inputs() {
        return List.of(new TensorSpec("object_features", DataType.FLOAT32, new long[] {-1, c.hiddenSize()}),
                new TensorSpec("boxes", DataType.FLOAT32, new long[] {-1, -1}),
                new TensorSpec("object_mask", DataType.INT64, new long[] {-1}));
    }

    @Override
    public List<TensorSpec> outputs() {
        return List.of(new TensorSpec("object_embeds", DataType.FLOAT32, new long[] {-1, c.hiddenSize()}),
                new TensorSpec("resampler_out", DataType.FLOAT32, new long[] {c.numQuery(), c.hiddenSize()}),
                new TensorSpec("scene_tokens", DataType.FLOAT32, new long[] {c.numQuery(), c.llmHiddenSize()}));
    }

    @Override
    public Map<String, NDArray> run(Map<String, NDArray> inputs, RequestContext request) {
        NDArray features = PointCloudChecks.required(inputs, "object_features");
        float[] boxes = PointCloudChecks.boxes(PointCloudChecks.required(inputs, "boxes"));
        int m = (int) features.getShape().get(0);
        if (boxes.length / 6 != m) {
            throw new InvalidInputException("boxes has " + boxes.length / 6 + " rows for " + m + " objects");
        }
        float[] mask = mask(inputs.get("object_mask"), m);
        int[] kept = IntStream.range(0, m).filter(i -> mask[i] != 0).toArray();
        if (kept.length == 0) {
            throw new InvalidInputException("no object to attend to: every object is masked out");
        }
        NDManager result = request.manager();
        if (blas != null) {
            return blas.run(features, boxes, kept, m, result);
        }
        Map<String, NDArray> out = new LinkedHashMap<>();
        try (NDManager scratch = result.newSubManager()) {
            NDArray hidden = Activation.relu(Linear.linear(scratch.create(boxes, new Shape(m, 6)), w.pos0(), w.pos0Bias())
                    .singletonOrThrow());
            NDArray embeds = Linear.linear(hidden, w.pos2(), w.pos2Bias()).singletonOrThrow()
                    .addi(features).muli(scratch.create(mask, new Shape(m, 1)));
            NDArray objects = kept.length == m ? embeds : embeds.get(scratch.create(toLongs(kept)));
            NDArray queries = scratch.zeros(w.queries().getShape()).addi(w.queries());
            NDArray z = resampler.forward(queries, objects);
            NDArray tokens = LayerNorm.layerNorm(Linear.linear(z, w.proj(), w.projBias()).singletonOrThrow(),
                    new Shape(c.llmHiddenSize()), w.projNorm(), w.projNormBias(), c.layerNormEps()).singletonOrThrow();
            out.put("object_embeds", embeds);
            out.put("resampler_out", z);
            out.put("scene_tokens", tokens);
            out.values().forEach(a -> a.attach(result));
        }
        return out;
    }

    private static float[] mask(NDArray maskIn, int m) {
        float[] mask = new float[m];
        if (maskIn == null) {
            java.util.Arrays.fill(mask, 1f);
            return mask;
        }
        long[] values = maskIn.toLongArray();
        if (values.length != m) {
            throw new InvalidInputException("object_mask has " + values.length + " entries for " + m + " objects");
        }
        for (int i = 0; i < m; i++) {
            if (values[i] != 0 && values[i] != 1) {
                throw new InvalidInputException("object_mask must hold 0 or 1, got " + values[i] + " at " + i);
            }
            mask[i] = values[i];
        }
        return mask;
    }

    private static long[] toLongs(int[] v) {
        long[] out = new long[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i];
        }
        return out;
    }

    /** One object at the unit cube. */
    @Override
    public Map<String, NDArray> warmUpInputs(NDManager manager) {
        return Map.of("object_features", manager.zeros(new Shape(1, c.hiddenSize())),
                "boxes", WarmUpScene.boxes(manager),
                "object_mask", manager.create(new long[] {1}));
    }
}
