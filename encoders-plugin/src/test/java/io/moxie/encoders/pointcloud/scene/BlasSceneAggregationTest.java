package io.moxie.encoders.pointcloud.scene;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.Config;
import io.moxie.blas.OpenBlas;
import io.moxie.encoders.pointcloud.Octavius3dConfig;
import io.moxie.testkit.TestRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The fused OpenBLAS scene aggregation gives the DJL path's numbers at odd sizes, masks and layer counts. */
class BlasSceneAggregationTest {
    private final NDManager manager = NDManager.newBaseManager();

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void matchesTheDjlPathAtOddSizes() {
        // H 40 with 4 heads (dk 10), 3 queries, 5 objects of which 1 and 3 are masked, 3 layers
        compare(40, 4, 3, 3, 7, 24, new long[] {1, 0, 1, 0, 1});
        // more queries than kept objects, so self-attention has the wider key set; one head, one layer
        compare(24, 1, 6, 1, 5, 9, new long[] {0, 1, 1});
        // no masked object, 2 layers
        compare(36, 6, 5, 2, 11, 17, new long[] {1, 1, 1, 1, 1, 1, 1});
        // no resampler layer: the learned queries go straight to llama_proj
        compare(16, 2, 4, 0, 8, 12, new long[] {1, 0, 1});
    }

    @Test
    void matchesTheDjlPathWhenTheMapsRunInPartsAndPieces() {
        // wide enough for several parts over the outputs (and llama_proj's 700 not a multiple of them), and an input
        // width over the 512 of a K chunk: 50 objects, 10 masked, 16 queries
        long[] mask = new long[50];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = i % 5 == 2 ? 0 : 1;
        }
        compare(640, 8, 16, 1, 32, 700, mask);
    }

    @Test
    void matchesTheDjlPathWithAllButOneObjectMasked() {
        compare(40, 4, 3, 2, 7, 24, new long[] {0, 0, 1, 0, 0, 0});
        compare(40, 4, 3, 1, 7, 24, new long[] {1});
    }

    private void compare(int hidden, int heads, int numQuery, int layers, int posHidden, int llm, long[] mask) {
        Octavius3dConfig c = Octavius3dConfig.from(new Config(Map.of("trans_dim", hidden / 2, "num_heads", 1,
                "hidden_size_rsp_3d", hidden, "num_heads_rsp_3d", heads, "num_query_rsp_3d", numQuery,
                "num_layers_rsp_3d", layers, "pos_3d_proj_hidden", posHidden, "llm_hidden_size", llm), "test"));
        String what = "H " + hidden + " heads " + heads + " Q " + numQuery + " layers " + layers + " mask "
                + java.util.Arrays.toString(mask);
        Random r = new Random(hidden * 31L + layers);
        int m = mask.length;
        try (NDManager components = manager.newSubManager(); TestRequest request = new TestRequest(manager)) {
            SceneAggregatorStage fused = new SceneAggregatorStage(c, weights(c, r, components));
            assumeTrue(OpenBlas.available(), "no OpenBLAS for this platform: the fused path cannot run");
            assertTrue(fused.fused());
            SceneAggregatorStage djl = fused.onDjl();
            assertFalse(djl.fused());
            float[] boxes = new float[m * 6];
            for (int i = 0; i < m; i++) {
                for (int a = 0; a < 3; a++) {
                    boxes[i * 6 + a] = r.nextFloat() * 4 - 2;
                    boxes[i * 6 + 3 + a] = boxes[i * 6 + a] + r.nextFloat();
                }
            }
            Map<String, NDArray> in = Map.of("object_features", gaussian(request.manager(), r, 1, m, hidden),
                    "boxes", request.manager().create(boxes, new Shape(m, 6)),
                    "object_mask", request.manager().create(mask));
            Map<String, NDArray> expected = djl.run(in, request);
            int held = request.manager().getManagedArrays().size();
            int component = components.getManagedArrays().size();
            Map<String, NDArray> actual = fused.run(in, request);
            assertEquals(held + 3, request.manager().getManagedArrays().size(), "the outputs and nothing else");
            assertEquals(component, components.getManagedArrays().size(), "nothing added to the component");
            assertEquals(expected.keySet(), actual.keySet());
            for (String key : expected.keySet()) {
                NDArray e = expected.get(key);
                NDArray a = actual.get(key);
                assertEquals(e.getShape(), a.getShape(), what + " " + key);
                assertEquals(request.manager(), a.getManager(), what + " " + key);
                float[] ev = e.toFloatArray();
                float[] av = a.toFloatArray();
                for (int i = 0; i < ev.length; i++) {
                    assertEquals(ev[i], av[i], 1e-5 * Math.max(1, Math.abs(ev[i])), what + " " + key + " element " + i);
                }
            }
        }
    }

    /** Random weights at sane scales: Linear weights of std 1/sqrt(in), LayerNorm gains near 1 (also for the bench). */
    static SceneWeights weights(Octavius3dConfig c, Random r, NDManager m) {
        int h = c.hiddenSize();
        List<AttentionWeights> cross = new ArrayList<>();
        List<AttentionWeights> self = new ArrayList<>();
        for (int i = 0; i < c.resamplerLayers(); i++) {
            cross.add(attention(h, r, m));
            self.add(attention(h, r, m));
        }
        int ph = c.pos3dProjHidden();
        int llm = c.llmHiddenSize();
        return new SceneWeights(gaussian(m, r, 1 / Math.sqrt(6), ph, 6), gaussian(m, r, 0.1, ph),
                gaussian(m, r, 1 / Math.sqrt(ph), h, ph), gaussian(m, r, 0.1, h), gaussian(m, r, 1, c.numQuery(), h),
                cross, self, gaussian(m, r, 1 / Math.sqrt(h), llm, h), gaussian(m, r, 0.1, llm), gain(m, r, llm),
                gaussian(m, r, 0.1, llm));
    }

    private static AttentionWeights attention(int h, Random r, NDManager m) {
        double std = 1 / Math.sqrt(h);
        return new AttentionWeights(gaussian(m, r, std, h, h), gaussian(m, r, 0.1, h), gaussian(m, r, std, h, h),
                gaussian(m, r, 0.1, h), gaussian(m, r, std, h, h), gaussian(m, r, 0.1, h), gaussian(m, r, std, h, h),
                gaussian(m, r, 0.1, h), gain(m, r, h), gaussian(m, r, 0.1, h));
    }

    private static NDArray gain(NDManager m, Random r, int n) {
        return gaussian(m, r, 0.2, n).addi(1);
    }

    private static NDArray gaussian(NDManager m, Random r, double std, long... shape) {
        float[] v = new float[Math.toIntExact(new Shape(shape).size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (r.nextGaussian() * std);
        }
        return m.create(v, new Shape(shape));
    }
}
