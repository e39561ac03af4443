package io.moxie.routers;

import io.moxie.testkit.TestContext;
import io.moxie.testkit.TestRequest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ModelFormatException;
import io.moxie.api.MoeSpec;
import io.moxie.api.Router;
import io.moxie.api.Routing;
import java.util.Comparator;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TopKRouterTest {
    private static final String GATE = "layers.0.gate.weight";

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void topKMatchesPlainJavaSoftmaxTopKOnRandomData() {
        for (int[] ekd : new int[][] {{4, 2, 16}, {8, 3, 24}, {3, 3, 8}, {6, 1, 5}}) {
            int e = ekd[0];
            int k = ekd[1];
            int d = ekd[2];
            int tokens = 53;
            Random random = new Random(31L * e + k);
            float[] h = gaussian(random, tokens * d, 1f);
            float[] gate = gaussian(random, e * d, 2f / (float) Math.sqrt(d));
            Routing r = route(h, tokens, gate, e, d, k);

            long[] indices = r.indices().toLongArray();
            float[] weights = r.weights().toFloatArray();
            for (int t = 0; t < tokens; t++) {
                double[] p = softmax(logits(h, gate, t, e, d));
                int[] order = IntStream.range(0, e).boxed()
                        .sorted(Comparator.comparingDouble((Integer i) -> -p[i])).mapToInt(i -> i).toArray();
                double kept = 0;
                for (int j = 0; j < k; j++) {
                    kept += p[order[j]];
                }
                for (int j = 0; j < k; j++) {
                    assertEquals(order[j], indices[t * k + j], "E=" + e + " k=" + k + " token " + t + " slot " + j);
                    assertEquals(p[order[j]] / kept, weights[t * k + j], 1e-6, "token " + t + " slot " + j);
                }
            }
        }
    }

    @Test
    void keptWeightsAreRenormalisedToSumToOneInDescendingOrder() {
        Random random = new Random(7);
        int tokens = 40;
        Routing r = route(gaussian(random, tokens * 12, 1f), tokens, gaussian(random, 5 * 12, 0.8f), 5, 12, 3);
        float[] w = r.weights().toFloatArray();
        for (int t = 0; t < tokens; t++) {
            assertEquals(1.0, w[t * 3] + w[t * 3 + 1] + w[t * 3 + 2], 1e-6);
            assertTrue(w[t * 3] >= w[t * 3 + 1] && w[t * 3 + 1] >= w[t * 3 + 2], "descending at token " + t);
        }
        assertEquals(DataType.INT64, r.indices().getDataType());
        assertEquals(new Shape(tokens, 3), r.indices().getShape());
    }

    @Test
    void topOneRoutesToTheArgmaxWithWeightOne() {
        Random random = new Random(11);
        int tokens = 30;
        float[] h = gaussian(random, tokens * 8, 1f);
        float[] gate = gaussian(random, 4 * 8, 1f);
        Routing r = route(h, tokens, gate, 4, 8, 1);
        long[] indices = r.indices().toLongArray();
        for (int t = 0; t < tokens; t++) {
            double[] l = logits(h, gate, t, 4, 8);
            int best = IntStream.range(0, 4).reduce((a, b) -> l[a] >= l[b] ? a : b).orElseThrow();
            assertEquals(best, indices[t], "token " + t);
        }
        assertArrayEquals(filled(tokens, 1f), r.weights().toFloatArray());
    }

    @Test
    void gateOfTheWrongShapeIsRejectedAtCreateNamingTheKey() {
        TestContext context = new TestContext(manager).put(GATE, manager.zeros(new Shape(3, 8)));
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> new TopKRouterFactory().create(context, spec(4, 2, Map.of())));
        assertTrue(e.getMessage().contains(GATE) && e.getMessage().contains("(3, 8)") && e.getMessage().contains("[4, d]"),
                e.getMessage());

        ModelFormatException wrongInput = assertThrows(ModelFormatException.class,
                () -> new TopKRouterFactory().create(context, spec(3, 2, Map.of("input_size", "16"))));
        assertTrue(wrongInput.getMessage().contains(GATE) && wrongInput.getMessage().contains("[3, 16]"),
                wrongInput.getMessage());
    }

    @Test
    void missingGateIsRejectedAtCreateNamingTheKey() {
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> new TopKRouterFactory().create(new TestContext(manager), spec(4, 2, Map.of())));
        assertTrue(e.getMessage().contains(GATE), e.getMessage());
    }

    @Test
    void routingAllocatesNothingInTheComponentScopeAndKeepsOnlyItsResult() {
        TestContext context = new TestContext(manager).put(GATE, manager.ones(new Shape(4, 6)));
        Router router = new TopKRouterFactory().create(context, spec(4, 2, Map.of()));
        int weights = context.manager().getManagedArrays().size();
        try (TestRequest request = new TestRequest(manager)) {
            NDArray hidden = request.manager().create(gaussian(new Random(2), 5 * 6, 1f), new Shape(5, 6));
            Routing r = router.route(hidden, request);
            assertEquals(3, request.manager().getManagedArrays().size(), "hidden, indices and weights only");
            assertEquals(request.manager(), hidden.getManager(), "the borrowed input is back with its owner");
            assertEquals(request.manager(), r.weights().getManager());
        }
        assertEquals(weights, context.manager().getManagedArrays().size());
    }

    private Routing route(float[] h, int tokens, float[] gate, int e, int d, int k) {
        TestContext context = new TestContext(manager).put(GATE, manager.create(gate, new Shape(e, d)));
        Router router = new TopKRouterFactory().create(context, spec(e, k, Map.of("input_size", Integer.toString(d))));
        TestRequest request = new TestRequest(manager);
        NDArray hidden = request.manager().create(h, new Shape(tokens, d));
        return router.route(hidden, request);
    }

    private static MoeSpec spec(int e, int k, Map<String, String> options) {
        return new MoeSpec("layer0", GATE, e, k, Map.of(), options);
    }

    private static double[] logits(float[] h, float[] gate, int t, int e, int d) {
        double[] l = new double[e];
        for (int i = 0; i < e; i++) {
            for (int c = 0; c < d; c++) {
                l[i] += (double) h[t * d + c] * gate[i * d + c];
            }
        }
        return l;
    }

    private static double[] softmax(double[] l) {
        double max = java.util.Arrays.stream(l).max().orElseThrow();
        double[] p = new double[l.length];
        double sum = 0;
        for (int i = 0; i < l.length; i++) {
            p[i] = Math.exp(l[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < l.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    static float[] gaussian(Random random, int n, float std) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) random.nextGaussian() * std;
        }
        return out;
    }

    private static float[] filled(int n, float v) {
        float[] out = new float[n];
        java.util.Arrays.fill(out, v);
        return out;
    }
}
