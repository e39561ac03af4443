package io.moxie.experts;

import io.moxie.testkit.TestContext;
import io.moxie.testkit.TestRequest;
import static io.moxie.experts.MlpTestExperts.gaussian;
import static io.moxie.experts.MlpTestExperts.randomRouting;
import static io.moxie.experts.MlpTestExperts.spec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ExpertBank;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.ModelFormatException;
import io.moxie.api.MoeSpec;
import io.moxie.api.MoxieException;
import io.moxie.api.Routing;
import io.moxie.experts.MlpTestExperts.FanInScale;
import io.moxie.experts.blas.BlasMlpExpertBankFactory;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MlpExpertBankTest {
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
    void groupedEqualsLoopOnRandomRoutingsIncludingIdleExperts() {
        // {E, k, T, dIn, I, dOut, experts that get no token}
        int[][] cases = {{4, 2, 37, 16, 24, 16, 0}, {8, 3, 50, 12, 20, 10, 3}, {3, 1, 9, 8, 8, 6, 1},
            {5, 5, 11, 6, 10, 7, 0}, {6, 2, 1, 8, 12, 8, 4}};
        for (int[] c : cases) {
            Random random = new Random(c[0] * 31L + c[1]);
            for (String activation : new String[] {"quick_gelu", "gelu"}) {
                TestContext context = experts(random, c[0], c[3], c[4], c[5]);
                MoeSpec spec = spec(c[0], c[1], activation);
                float[] loop = run(new MlpExpertBankFactory(), context, spec, random, c[2], c[6]);
                float[] grouped = run(new GroupedMlpExpertBankFactory(), context, spec, random, c[2], c[6]);
                assertEquals(loop.length, grouped.length);
                for (int i = 0; i < loop.length; i++) {
                    assertEquals(loop[i], grouped[i], 2e-6 + 1e-6 * Math.abs(loop[i]),
                            "E=" + c[0] + " k=" + c[1] + " T=" + c[2] + " " + activation + " element " + i);
                }
            }
        }
    }

    @Test
    void loopBankMatchesAPlainJavaMixtureOfQuickGeluExperts() {
        Random random = new Random(5);
        int e = 3;
        int k = 2;
        int tokens = 7;
        int d = 5;
        int hidden = 6;
        TestContext context = experts(random, e, d, hidden, d);
        ExpertBank bank = new MlpExpertBankFactory().create(context, spec(e, k, "quick_gelu"));
        float[] x = gaussian(random, tokens * d);
        long[] idx = {0, 1, 2, 0, 1, 2, 2, 1, 0, 2, 1, 0, 2, 0};
        float[] w = {0.7f, 0.3f, 0.6f, 0.4f, 0.5f, 0.5f, 0.9f, 0.1f, 0.2f, 0.8f, 0.55f, 0.45f, 1f, 0f};
        try (TestRequest request = new TestRequest(manager)) {
            NDManager m = request.manager();
            float[] y = bank.forward(m.create(x, new Shape(tokens, d)), new Routing(m.create(idx, new Shape(tokens, k)),
                    m.create(w, new Shape(tokens, k)), e), request).toFloatArray();
            for (int t = 0; t < tokens; t++) {
                double[] expected = new double[d];
                for (int j = 0; j < k; j++) {
                    double[] out = plainExpert(context, (int) idx[t * k + j], x, t, d, hidden);
                    for (int o = 0; o < d; o++) {
                        expected[o] += w[t * k + j] * out[o];
                    }
                }
                for (int o = 0; o < d; o++) {
                    assertEquals(expected[o], y[t * d + o], 1e-5, "token " + t + " output " + o);
                }
            }
        }
    }

    @Test
    void geluIsTheExactErfFormNotTheTanhApproximation() {
        NDArray z = manager.linspace(-6f, 6f, 2401);
        float[] gelu = Activation.GELU.apply(z).toFloatArray();
        NDArray z64 = z.toType(DataType.FLOAT64, false);
        float[] exact = z64.mul(0.5).mul(z64.div(Math.sqrt(2)).erf().add(1)).toType(DataType.FLOAT32, false).toFloatArray();
        float[] zs = z.toFloatArray();
        double maxTanhGap = 0;
        for (int i = 0; i < gelu.length; i++) {
            assertEquals(exact[i], gelu[i], 1e-6, "gelu(" + zs[i] + ")");
            double c = Math.sqrt(2 / Math.PI);
            double tanh = 0.5 * zs[i] * (1 + Math.tanh(c * (zs[i] + 0.044715 * Math.pow(zs[i], 3))));
            maxTanhGap = Math.max(maxTanhGap, Math.abs(tanh - exact[i]));
        }
        assertTrue(maxTanhGap > 1e-4, "the test points must tell the two forms apart, gap " + maxTanhGap);
    }

    @Test
    void missingExpertTensorFailsCreateNamingItsKey() {
        TestContext context = experts(new Random(1), 3, 4, 6, 4);
        context.remove("experts.2.fc2.bias");
        for (ExpertBankFactory f : new ExpertBankFactory[] {new MlpExpertBankFactory(), new GroupedMlpExpertBankFactory()}) {
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> f.create(context, spec(3, 2, "gelu")));
            assertTrue(e.getMessage().contains("experts.2.fc2.bias"), e.getMessage());
        }
    }

    @Test
    void misShapedExpertTensorFailsCreateNamingItsKeyAndBothShapes() {
        TestContext context = experts(new Random(1), 2, 4, 6, 4);
        context.put("experts.1.fc1.weight", manager.zeros(new Shape(6, 5)));
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> new GroupedMlpExpertBankFactory().create(context, spec(2, 1, "gelu")));
        assertTrue(e.getMessage().contains("experts.1.fc1.weight") && e.getMessage().contains("(6, 5)")
                && e.getMessage().contains("(6, 4)"), e.getMessage());
    }

    @Test
    void unknownActivationFailsCreateListingTheSupportedOnes() {
        TestContext context = experts(new Random(1), 2, 4, 6, 4);
        MoxieException e = assertThrows(MoxieException.class,
                () -> new MlpExpertBankFactory().create(context, spec(2, 1, "swish")));
        assertTrue(e.getMessage().contains("swish") && e.getMessage().contains("quick_gelu"), e.getMessage());
    }

    @Test
    void forwardKeepsOnlyItsResultAndAllocatesNothingInTheComponentScope() {
        Random random = new Random(9);
        TestContext context = experts(random, 4, 8, 12, 8);
        for (ExpertBankFactory f : new ExpertBankFactory[] {new MlpExpertBankFactory(), new GroupedMlpExpertBankFactory(),
            new BlasMlpExpertBankFactory()}) {
            ExpertBank bank = f.create(context, spec(4, 2, "quick_gelu"));
            int weights = context.manager().getManagedArrays().size();
            try (TestRequest request = new TestRequest(manager)) {
                NDManager m = request.manager();
                NDArray x = m.create(gaussian(random, 10 * 8), new Shape(10, 8));
                Routing routing = new Routing(m.create(new long[20], new Shape(10, 2)).add(1),
                        m.ones(new Shape(10, 2)).div(2), 4);
                int before = m.getManagedArrays().size();
                NDArray y = bank.forward(x, routing, request);
                assertEquals(before + 1, m.getManagedArrays().size(), f.name() + ": only y is left in the request");
                assertEquals(m, y.getManager());
                assertEquals(m, x.getManager(), "borrowed input returned to its manager");
                assertEquals(weights, context.manager().getManagedArrays().size(), f.name());
            }
        }
    }

    private float[] run(ExpertBankFactory factory, TestContext context, MoeSpec spec, Random random, int tokens, int idle) {
        ExpertBank bank = factory.create(context, spec);
        Random same = new Random(tokens * 7L + spec.numExperts());
        try (TestRequest request = new TestRequest(manager)) {
            NDManager m = request.manager();
            Routing routing = randomRouting(m, same, tokens, spec.numExperts(), spec.topK(), idle);
            long in = context.shape("experts.0.fc1.weight").get(1);
            NDArray x = m.create(gaussian(same, tokens * (int) in), new Shape(tokens, in));
            return bank.forward(x, routing, request).toFloatArray();
        }
    }

    private TestContext experts(Random random, int e, int in, int hidden, int out) {
        return MlpTestExperts.experts(new TestContext(manager), random, e, in, hidden, out, FanInScale.UNIT_VARIANCE);
    }

    private static double[] plainExpert(TestContext context, int e, float[] x, int t, int d, int hidden) {
        float[] w1 = context.value("experts." + e + ".fc1.weight");
        float[] b1 = context.value("experts." + e + ".fc1.bias");
        float[] w2 = context.value("experts." + e + ".fc2.weight");
        float[] b2 = context.value("experts." + e + ".fc2.bias");
        double[] h = new double[hidden];
        for (int i = 0; i < hidden; i++) {
            double z = b1[i];
            for (int c = 0; c < d; c++) {
                z += (double) w1[i * d + c] * x[t * d + c];
            }
            h[i] = z / (1 + Math.exp(-1.702 * z));
        }
        int out = b2.length;
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            y[o] = b2[o];
            for (int i = 0; i < hidden; i++) {
                y[o] += (double) w2[o * hidden + i] * h[i];
            }
        }
        return y;
    }
}
