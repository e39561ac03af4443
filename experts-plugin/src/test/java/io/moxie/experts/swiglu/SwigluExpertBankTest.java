package io.moxie.experts.swiglu;

import io.moxie.testkit.TestContext;
import io.moxie.testkit.TestRequest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ExpertBank;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.ModelFormatException;
import io.moxie.api.MoeSpec;
import io.moxie.api.MoxieException;
import io.moxie.api.Routing;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code swiglu} (DJL) and {@code swiglu-blas} (OpenBLAS) against plain Java Mixtral experts, and their refusals. */
class SwigluExpertBankTest {
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private static MoeSpec spec(int experts, int k) {
        return new MoeSpec("layer0", "gate", experts, k, Map.of("w1", "experts.{e}.w1.weight",
                "w2", "experts.{e}.w2.weight", "w3", "experts.{e}.w3.weight"), Map.of("activation", "silu"));
    }

    private static ExpertBankFactory factory(String name) {
        return switch (name) {
            case SwigluExpertBankFactory.NAME -> new SwigluExpertBankFactory();
            case BlasSwigluExpertBankFactory.NAME -> new BlasSwigluExpertBankFactory();
            default -> throw new IllegalArgumentException(name);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {SwigluExpertBankFactory.NAME, BlasSwigluExpertBankFactory.NAME})
    void groupedExecutionMatchesPlainJavaMixtralExpertsIncludingIdleOnes(String bankName) {
        // {E, k, T, d, I}; expert E-1 never gets a token. I = 300 and 257 cut the intermediate size into parts, d = 300
        // and 260 the output size, on a machine of two or more cores (swiglu-blas); one token is a decode step.
        int[][] cases = {{4, 2, 9, 8, 12}, {3, 1, 5, 6, 10}, {5, 3, 1, 4, 6}, {6, 2, 17, 10, 7}, {4, 2, 7, 16, 300},
            {3, 2, 1, 9, 257}, {4, 2, 6, 300, 20}, {3, 2, 1, 260, 257}};
        for (int[] c : cases) {
            int e = c[0];
            int k = c[1];
            int tokens = c[2];
            int d = c[3];
            int inter = c[4];
            Random random = new Random(e * 100L + k);
            TestContext context = new TestContext(manager);
            float[][] w1 = new float[e][];
            float[][] w2 = new float[e][];
            float[][] w3 = new float[e][];
            for (int i = 0; i < e; i++) {
                w1[i] = context.gaussian("experts." + i + ".w1.weight", random, 0.5, inter, d);
                w3[i] = context.gaussian("experts." + i + ".w3.weight", random, 0.5, inter, d);
                w2[i] = context.gaussian("experts." + i + ".w2.weight", random, 0.5, d, inter);
            }
            ExpertBank bank = factory(bankName).create(context, spec(e, k));
            float[] x = new float[tokens * d];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextGaussian();
            }
            long[] idx = new long[tokens * k];
            float[] w = new float[tokens * k];
            for (int t = 0; t < tokens; t++) {
                for (int j = 0; j < k; j++) {
                    idx[t * k + j] = (t + j) % (e - 1); // distinct within a token since k <= E - 1
                    w[t * k + j] = (float) random.nextDouble();
                }
            }
            try (TestRequest request = new TestRequest(manager)) {
                NDManager m = request.manager();
                float[] y = bank.forward(m.create(x, new Shape(tokens, d)), new Routing(m.create(idx,
                        new Shape(tokens, k)), m.create(w, new Shape(tokens, k)), e), request).toFloatArray();
                for (int t = 0; t < tokens; t++) {
                    double[] expected = new double[d];
                    for (int j = 0; j < k; j++) {
                        int ex = (int) idx[t * k + j];
                        double[] h = new double[inter];
                        for (int i = 0; i < inter; i++) {
                            double g = 0;
                            double u = 0;
                            for (int q = 0; q < d; q++) {
                                g += w1[ex][i * d + q] * x[t * d + q];
                                u += w3[ex][i * d + q] * x[t * d + q];
                            }
                            h[i] = g / (1 + Math.exp(-g)) * u;
                        }
                        for (int o = 0; o < d; o++) {
                            double s = 0;
                            for (int i = 0; i < inter; i++) {
                                s += w2[ex][o * inter + i] * h[i];
                            }
                            expected[o] += w[t * k + j] * s;
                        }
                    }
                    for (int o = 0; o < d; o++) {
                        assertEquals(expected[o], y[t * d + o], 1e-4 + 1e-4 * Math.abs(expected[o]),
                                bankName + " E=" + e + " k=" + k + " I=" + inter + " token " + t + " output " + o);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {SwigluExpertBankFactory.NAME, BlasSwigluExpertBankFactory.NAME})
    void aMissingExpertTensorFailsTheBuildNamingIt(String bankName) {
        TestContext context = new TestContext(manager);
        Random random = new Random(1);
        context.gaussian("experts.0.w1.weight", random, 1, 4, 3);
        context.gaussian("experts.0.w3.weight", random, 1, 4, 3);
        context.gaussian("experts.0.w2.weight", random, 1, 3, 4);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> factory(bankName).create(context, spec(2, 1)));
        assertEquals(true, e.getMessage().contains("experts.1.w1.weight"), e.getMessage());
    }

    @Test
    void theOpenBlasBankRefusesAGpuDeviceNamingTheBankThatRunsThere() {
        TestContext gpu = new TestContext(manager).reportingDevice(Device.gpu());
        MoxieException e = assertThrows(MoxieException.class,
                () -> new BlasSwigluExpertBankFactory().create(gpu, spec(2, 1)));
        assertTrue(e.getMessage().contains("swiglu-blas") && e.getMessage().contains("gpu")
                && e.getMessage().contains("'swiglu'"), e.getMessage());
    }
}
