package io.moxie.routers.instance;

import io.moxie.testkit.TestContext;
import io.moxie.testkit.TestRequest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ModelFormatException;
import io.moxie.api.MoeSpec;
import io.moxie.api.MoxieException;
import io.moxie.api.Router;
import io.moxie.api.Routing;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class InstanceRouterTest {
    private static final String GATE = "gating_network.w_gating";
    private static final int D = 16;
    private static final int E = 6;

    private NDManager manager;
    private float[] gate;
    private TestContext context;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        Random random = new Random(3);
        gate = new float[D * E];
        for (int i = 0; i < gate.length; i++) {
            gate[i] = (float) (random.nextGaussian() * 2);
        }
        context = new TestContext(manager).put(GATE, manager.create(gate, new Shape(D, E)));
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private Router router(String layer) {
        return new InstanceRouterFactory().create(context, new MoeSpec(layer, GATE, E, 2, Map.of(), Map.of()));
    }

    private static float[] instruction(long seed, int tokens) {
        Random random = new Random(seed);
        float[] x = new float[tokens * D];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        return x;
    }

    private static void provide(TestRequest request, float[] x, int tokens) {
        NDArray embedding = request.manager().create(x, new Shape(tokens, D));
        request.computeIfAbsent(InstanceRouterFactory.INSTRUCTION_EMBEDDING, k -> embedding);
    }

    @Test
    void gateIsTheSoftmaxOfTheTokenMeanLogitsTopTwoRenormalised() {
        int tokens = 7;
        float[] x = instruction(11, tokens);
        double[] mean = new double[E];
        for (int s = 0; s < tokens; s++) {
            for (int e = 0; e < E; e++) {
                for (int i = 0; i < D; i++) {
                    mean[e] += x[s * D + i] * gate[i * E + e] / tokens;
                }
            }
        }
        int first = 0;
        for (int e = 1; e < E; e++) {
            first = mean[e] > mean[first] ? e : first;
        }
        int second = first == 0 ? 1 : 0;
        for (int e = 0; e < E; e++) {
            second = e != first && mean[e] > mean[second] ? e : second;
        }
        // softmax then renormalise over the two: the partition function cancels
        double p1 = 1 / (1 + Math.exp(mean[second] - mean[first]));
        try (TestRequest request = new TestRequest(manager)) {
            provide(request, x, tokens);
            Routing r = router("layer0.q_proj").route(request.manager().zeros(new Shape(3, D)), request);
            assertEquals(new Shape(3, 2), r.indices().getShape());
            for (int t = 0; t < 3; t++) {
                assertArrayEquals(new long[] {first, second}, r.indices().get(t).toLongArray());
                float[] w = r.weights().get(t).toFloatArray();
                assertEquals(p1, w[0], 1e-6);
                assertEquals(1 - p1, w[1], 1e-6);
            }
            NDArray published = request.computeIfAbsent(InstanceRouterFactory.meanLogitsKey("test-model", GATE),
                    k -> null);
            float[] logits = published.toFloatArray();
            for (int e = 0; e < E; e++) {
                assertEquals(mean[e], logits[e], 1e-5);
            }
        }
    }

    @Test
    void oneDecisionPerRequestServesEveryLayerAndStep() {
        Router q = router("layer0.q_proj");
        Router o = router("layer1.o_proj");
        try (TestRequest request = new TestRequest(manager)) {
            provide(request, instruction(5, 4), 4);
            Routing prefill = q.route(request.manager().zeros(new Shape(9, D)), request);
            Routing step = o.route(request.manager().zeros(new Shape(1, D)), request);
            assertArrayEquals(prefill.indices().get(0).toLongArray(), step.indices().get(0).toLongArray());
            assertArrayEquals(prefill.weights().get(0).toFloatArray(), step.weights().get(0).toFloatArray());
            // decode steps reuse the same routing arrays
            assertSame(step, q.route(request.manager().zeros(new Shape(1, D)), request));
            assertEquals(1, request.initialisations(InstanceRouterFactory.gateStateKey("test-model", GATE)));
        }
    }

    @Test
    void eachRequestDecidesFromItsOwnInstruction() {
        Router q = router("layer0.q_proj");
        long[][] chosen = new long[8][];
        for (int i = 0; i < chosen.length; i++) {
            try (TestRequest request = new TestRequest(manager)) {
                provide(request, instruction(100 + i, 3), 3);
                chosen[i] = q.route(request.manager().zeros(new Shape(1, D)), request).indices().toLongArray();
            }
        }
        boolean differ = false;
        for (long[] c : chosen) {
            differ |= c[0] != chosen[0][0] || c[1] != chosen[0][1];
        }
        assertTrue(differ, "different instructions should pick different experts somewhere");
    }

    @Test
    void aRequestWithoutInstructionFailsNamingTheStateKey() {
        try (TestRequest request = new TestRequest(manager)) {
            MoxieException e = assertThrows(MoxieException.class,
                    () -> router("layer0.q_proj").route(request.manager().zeros(new Shape(1, D)), request));
            assertTrue(e.getMessage().contains(InstanceRouterFactory.INSTRUCTION_EMBEDDING), e.getMessage());
        }
    }

    @Test
    void aGateInTheLinearLayoutIsRefused() {
        TestContext transposed = new TestContext(manager).put(GATE, manager.create(gate, new Shape(E, D)));
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> new InstanceRouterFactory()
                .create(transposed, new MoeSpec("layer0.q_proj", GATE, E, 2, Map.of(), Map.of())));
        assertTrue(e.getMessage().contains("[hidden, 6]"), e.getMessage());
    }
}
