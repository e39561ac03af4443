package io.moxie.experts;

import io.moxie.testkit.TestContext;
import io.moxie.testkit.TestRequest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ExpertBank;
import io.moxie.api.MoeSpec;
import io.moxie.api.MoxieException;
import io.moxie.api.Routing;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OffloadedMlpExpertBankTest {
    private static final int E = 6;
    private static final int K = 2;
    private static final int D = 8;
    private static final int HIDDEN = 16;
    private static final int TOKENS = 40;

    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void close() {
        manager.close();
    }

    private TestContext experts(String budget) {
        TestContext context = new TestContext(manager).withConfig(Map.of("offload_budget", budget));
        for (int i = 0; i < E; i++) {
            context.put("experts." + i + ".fc1.weight", manager.randomNormal(new Shape(HIDDEN, D)));
            context.put("experts." + i + ".fc1.bias", manager.randomNormal(new Shape(HIDDEN)));
            context.put("experts." + i + ".fc2.weight", manager.randomNormal(new Shape(D, HIDDEN)));
            context.put("experts." + i + ".fc2.bias", manager.randomNormal(new Shape(D)));
        }
        return context;
    }

    private static MoeSpec spec() {
        return MlpTestExperts.spec(E, K, "quick_gelu");
    }

    private float[] forward(ExpertBank bank, long seed) {
        Random r = new Random(seed);
        long[] idx = new long[TOKENS * K];
        float[] w = new float[TOKENS * K];
        float[] x = new float[TOKENS * D];
        for (int t = 0; t < TOKENS; t++) {
            int first = r.nextInt(E);
            idx[t * K] = first;
            idx[t * K + 1] = (first + 1 + r.nextInt(E - 1)) % E;
            w[t * K] = 0.6f;
            w[t * K + 1] = 0.4f;
        }
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        try (TestRequest request = new TestRequest(manager)) {
            NDManager m = request.manager();
            NDArray y = bank.forward(m.create(x, new Shape(TOKENS, D)),
                    new Routing(m.create(idx, new Shape(TOKENS, K)), m.create(w, new Shape(TOKENS, K)), E), request);
            return y.toFloatArray();
        }
    }

    @Test
    void budgetsSmallerThanTheLayerGiveTheSameOutputsAndTheCountersMove() {
        for (String budget : new String[] {"100%", "50%", "25%", "1"}) {
            TestContext context = experts("1".equals(budget) ? "17%" : budget); // 17% of 6 experts: one expert
            ExpertBank reference = new GroupedMlpExpertBankFactory().create(context, spec());
            ExpertBank offloaded = new OffloadedMlpExpertBankFactory().create(context, spec());
            for (long seed = 0; seed < 3; seed++) {
                assertArrayEquals(forward(reference, seed), forward(offloaded, seed), 1e-6f, "budget " + budget);
            }
            Map<String, Long> c = offloaded.counters();
            assertTrue(c.get("offload_misses") >= E, budget + ": every expert paged in at least once " + c);
            assertTrue(c.get("offload_resident_bytes") <= c.get("offload_budget_bytes"), budget + " " + c);
            if (budget.equals("100%")) {
                assertEquals(E, c.get("offload_misses"), "with room for all, each expert is paged in once " + c);
                assertTrue(c.get("offload_hits") > 0, c.toString());
                assertEquals(0, c.get("offload_evictions"));
            } else {
                assertTrue(c.get("offload_evictions") > 0, budget + ": experts were evicted " + c);
            }
        }
    }

    @Test
    void concurrentRequestsShareATinyCacheWithoutDeadlock() throws Exception {
        TestContext context = experts("17%");
        ExpertBank reference = new GroupedMlpExpertBankFactory().create(context, spec());
        ExpertBank offloaded = new OffloadedMlpExpertBankFactory().create(context, spec());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Boolean>> results = new ArrayList<>();
            for (int i = 0; i < 16; i++) {
                long seed = i;
                results.add(pool.submit(() -> java.util.Arrays.equals(forward(reference, seed), forward(offloaded, seed))));
            }
            for (Future<Boolean> f : results) {
                assertTrue(f.get(), "a concurrent answer differs");
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void pagingFromHostToHostMakesARealCopy() throws Exception {
        NDArray[] host = {manager.ones(new Shape(4)), manager.ones(new Shape(2)), manager.ones(new Shape(4)),
            manager.ones(new Shape(2))};
        try (NDManager resident = manager.newSubManager();
             ExpertCache cache = new ExpertCache(48, 48, resident, manager.getDevice(), e -> host)) {
            NDArray[] paged = cache.acquire(0);
            try {
                paged[0].set(new ai.djl.ndarray.index.NDIndex("0"), 5f);
                assertEquals(1f, host[0].getFloat(0), "the resident copy must not share the host copy's memory");
                assertEquals(48L, cache.counters().get("offload_resident_bytes"));
            } finally {
                cache.release(0);
            }
        }
    }

    @Test
    void aBudgetBelowOneExpertIsRefusedAtCreate() {
        MoxieException e = assertThrows(MoxieException.class,
                () -> new OffloadedMlpExpertBankFactory().create(experts("100B"), spec()));
        assertTrue(e.getMessage().contains("smaller than one expert"), e.getMessage());
        assertThrows(MoxieException.class, () -> new OffloadedMlpExpertBankFactory().create(experts("150%"), spec()));
    }
}
