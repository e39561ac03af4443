package io.moxie.experts.lora;

import io.moxie.testkit.TestContext;
import io.moxie.testkit.TestRequest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ExpertBank;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.ModelFormatException;
import io.moxie.api.MoeSpec;
import io.moxie.api.Routing;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Both LoRA-MoE banks against a plain Java {@code y = x Wᵀ + Σ_j w_j (x A_{e_j}) B_{e_j}} (no alpha / r factor), for
 * a request-wide routing (the instance router's), a per-token one, and a routing that changes mid-request.
 */
class LoraExpertBankTest {
    private static final int E = 5;
    private static final int IN = 12;
    private static final int OUT = 10;
    private static final int R = 3;
    private static final MoeSpec SPEC = new MoeSpec("layer0.q_proj", "gating_network.w_gating", E, 2,
            Map.of("base", "q.weight", "A", "q.lora_moe_A.default", "B", "q.lora_moe_B.default"), Map.of());

    private NDManager manager;
    private TestContext context;
    private float[] base;
    private float[] a;
    private float[] b;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        context = new TestContext(manager);
        Random random = new Random(42);
        base = context.gaussian("q.weight", random, 0.3, OUT, IN);
        a = context.gaussian("q.lora_moe_A.default", random, 0.3, E, IN, R);
        b = context.gaussian("q.lora_moe_B.default", random, 0.5, E, R, OUT);
    }

    @AfterEach
    void close() {
        manager.close();
    }

    /** Plain Java LoRA-MoE for row {@code x}. */
    private double[] expected(float[] x, int row, long[] experts, float[] weights) {
        double[] y = new double[OUT];
        for (int o = 0; o < OUT; o++) {
            for (int i = 0; i < IN; i++) {
                y[o] += base[o * IN + i] * x[row * IN + i];
            }
        }
        for (int j = 0; j < experts.length; j++) {
            int e = (int) experts[j];
            double[] xa = new double[R];
            for (int r = 0; r < R; r++) {
                for (int i = 0; i < IN; i++) {
                    xa[r] += x[row * IN + i] * a[(e * IN + i) * R + r];
                }
            }
            for (int o = 0; o < OUT; o++) {
                double s = 0;
                for (int r = 0; r < R; r++) {
                    s += xa[r] * b[(e * R + r) * OUT + o];
                }
                y[o] += weights[j] * s;
            }
        }
        return y;
    }

    private void check(ExpertBank bank, TestRequest request, float[] x, int tokens, long[] idx, float[] w) {
        NDManager m = request.manager();
        float[] y = bank.forward(m.create(x, new Shape(tokens, IN)), new Routing(m.create(idx, new Shape(tokens, 2)),
                m.create(w, new Shape(tokens, 2)), E), request).toFloatArray();
        for (int t = 0; t < tokens; t++) {
            double[] want = expected(x, t, new long[] {idx[2 * t], idx[2 * t + 1]},
                    new float[] {w[2 * t], w[2 * t + 1]});
            for (int o = 0; o < OUT; o++) {
                assertEquals(want[o], y[t * OUT + o], 2e-5, "token " + t + " output " + o);
            }
        }
    }

    private static float[] gaussian(Random random, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) random.nextGaussian();
        }
        return v;
    }

    private static long[] repeat(long[] row, int tokens) {
        long[] out = new long[row.length * tokens];
        for (int t = 0; t < tokens; t++) {
            System.arraycopy(row, 0, out, t * row.length, row.length);
        }
        return out;
    }

    private static float[] repeat(float[] row, int tokens) {
        float[] out = new float[row.length * tokens];
        for (int t = 0; t < tokens; t++) {
            System.arraycopy(row, 0, out, t * row.length, row.length);
        }
        return out;
    }

    @Test
    void bothBanksApplyTheChosenExpertsOfARequestWideRoutingWithoutScaling() {
        Random random = new Random(7);
        for (ExpertBankFactory f : new ExpertBankFactory[] {new LoraExpertBankFactory(),
            new MergedLoraExpertBankFactory()}) {
            ExpertBank bank = f.create(context, SPEC);
            try (TestRequest request = new TestRequest(manager)) {
                long[] experts = {3, 1};
                float[] weights = {0.7f, 0.3f};
                // a prefill of 6 rows, then decode steps of one row: the same request-wide decision
                check(bank, request, gaussian(random, 6 * IN), 6, repeat(experts, 6), repeat(weights, 6));
                check(bank, request, gaussian(random, IN), 1, experts, weights);
                check(bank, request, gaussian(random, IN), 1, experts, weights);
            }
        }
    }

    @Test
    void perTokenRoutingsAreComputedExpertByExpert() {
        Random random = new Random(8);
        long[] idx = {0, 1, 2, 3, 4, 0, 1, 4, 3, 2};
        float[] w = {0.6f, 0.4f, 0.9f, 0.1f, 0.5f, 0.5f, 0.2f, 0.8f, 1f, 0f};
        for (ExpertBankFactory f : new ExpertBankFactory[] {new LoraExpertBankFactory(),
            new MergedLoraExpertBankFactory()}) {
            try (TestRequest request = new TestRequest(manager)) {
                check(f.create(context, SPEC), request, gaussian(random, 5 * IN), 5, idx, w);
            }
        }
    }

    @Test
    void aDecisionThatChangesWithinARequestIsFollowedAndItsArraysFreed() {
        Random random = new Random(9);
        for (ExpertBankFactory f : new ExpertBankFactory[] {new LoraExpertBankFactory(),
            new MergedLoraExpertBankFactory()}) {
            ExpertBank bank = f.create(context, SPEC);
            int idle = manager.getManagedArrays().size();
            try (TestRequest request = new TestRequest(manager)) {
                check(bank, request, gaussian(random, 3 * IN), 3, repeat(new long[] {0, 2}, 3),
                        repeat(new float[] {0.5f, 0.5f}, 3));
                check(bank, request, gaussian(random, 3 * IN), 3, repeat(new long[] {4, 1}, 3),
                        repeat(new float[] {0.9f, 0.1f}, 3));
            }
            assertEquals(idle, manager.getManagedArrays().size(), f.name() + " left arrays behind");
        }
    }

    @Test
    void checkpointTensorsMustHaveTheAuthorsLayout() {
        TestContext wrong = new TestContext(manager);
        Random random = new Random(1);
        wrong.gaussian("q.weight", random, 1, OUT, IN);
        wrong.gaussian("q.lora_moe_A.default", random, 1, E, IN, R);
        wrong.gaussian("q.lora_moe_B.default", random, 1, E, OUT, R); // transposed experts
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> new LoraExpertBankFactory().create(wrong, SPEC));
        assertTrue(e.getMessage().contains("q.lora_moe_B.default"), e.getMessage());
    }
}
