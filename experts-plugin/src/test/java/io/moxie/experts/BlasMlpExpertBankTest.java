package io.moxie.experts;

import io.moxie.testkit.TestContext;
import io.moxie.testkit.TestRequest;
import static io.moxie.experts.MlpTestExperts.KEYS;
import static io.moxie.experts.MlpTestExperts.gaussian;
import static io.moxie.experts.MlpTestExperts.randomRouting;
import static io.moxie.experts.MlpTestExperts.spec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ComponentContext;
import io.moxie.api.ExpertBank;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.InvalidInputException;
import io.moxie.api.ModelFormatException;
import io.moxie.api.MoeSpec;
import io.moxie.api.MoxieException;
import io.moxie.api.Routing;
import io.moxie.experts.MlpTestExperts.FanInScale;
import io.moxie.experts.blas.BlasMlpExpertBankFactory;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URL;
import java.net.URLClassLoader;
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

/** {@code grouped-mlp-blas} against the {@code mlp} loop bank, and its refusals. */
class BlasMlpExpertBankTest {
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
    void equalsTheLoopBankOnRandomRoutingsIncludingIdleExperts() {
        // {E, k, T, dIn, I, dOut, experts that get no token}
        int[][] cases = {{4, 2, 37, 16, 24, 16, 0}, {8, 3, 50, 12, 20, 10, 3}, {3, 1, 9, 8, 8, 6, 1},
            {5, 5, 11, 6, 10, 7, 0}, {6, 2, 1, 8, 12, 8, 4}, {4, 2, 130, 96, 384, 96, 0}, {5, 2, 90, 32, 200, 160, 1}};
        for (int[] c : cases) {
            Random random = new Random(c[0] * 31L + c[1]);
            for (String activation : new String[] {"quick_gelu", "gelu"}) {
                TestContext context = experts(random, c[0], c[3], c[4], c[5]);
                MoeSpec spec = spec(c[0], c[1], activation);
                float[] loop = run(new MlpExpertBankFactory().create(context, spec), context, spec, c[2], c[6], false);
                float[] blas = run(new BlasMlpExpertBankFactory().create(context, spec), context, spec, c[2], c[6], false);
                assertClose(loop, blas, "E=" + c[0] + " k=" + c[1] + " T=" + c[2] + " " + activation);
            }
        }
    }

    @Test
    void takesANonContiguousInput() {
        Random random = new Random(3);
        TestContext context = experts(random, 4, 12, 20, 12);
        MoeSpec spec = spec(4, 2, "quick_gelu");
        float[] loop = run(new MlpExpertBankFactory().create(context, spec), context, spec, 17, 0, false);
        float[] blas = run(new BlasMlpExpertBankFactory().create(context, spec), context, spec, 17, 0, true);
        assertClose(loop, blas, "transposed input");
    }

    @Test
    void concurrentCallsGiveTheSequentialResults() throws Exception {
        Random random = new Random(11);
        TestContext context = experts(random, 4, 64, 256, 64);
        MoeSpec spec = spec(4, 2, "gelu");
        ExpertBank bank = new BlasMlpExpertBankFactory().create(context, spec);
        int calls = 24;
        List<float[]> sequential = new ArrayList<>();
        for (int i = 0; i < calls; i++) {
            sequential.add(run(bank, context, spec, 20 + i, 0, false));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<float[]>> parallel = new ArrayList<>();
            for (int i = 0; i < calls; i++) {
                int tokens = 20 + i;
                parallel.add(pool.submit(() -> run(bank, context, spec, tokens, 0, false)));
            }
            for (int i = 0; i < calls; i++) {
                assertArrayEquals(sequential.get(i), parallel.get(i).get(), "call " + i);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void keepsTheWeightsOnceNotTwice() {
        TestContext context = experts(new Random(2), 3, 8, 12, 8);
        new BlasMlpExpertBankFactory().create(context, spec(3, 2, "gelu"));
        // per expert: fc1 with its bias column, fc2; fc1, fc1's bias and fc2's bias as loaded are released
        assertEquals(2 * 3, context.manager().getManagedArrays().size());
    }

    @Test
    void aRoutingToAnExpertThatDoesNotExistIsAnInvalidInput() {
        TestContext context = experts(new Random(4), 3, 4, 6, 4);
        ExpertBank bank = new BlasMlpExpertBankFactory().create(context, spec(3, 1, "gelu"));
        try (TestRequest request = new TestRequest(manager)) {
            NDManager m = request.manager();
            Routing routing = new Routing(m.create(new long[] {0, 3}, new Shape(2, 1)), m.ones(new Shape(2, 1)), 3);
            InvalidInputException e = assertThrows(InvalidInputException.class,
                    () -> bank.forward(m.zeros(new Shape(2, 4)), routing, request));
            assertTrue(e.getMessage().contains("expert 3"), e.getMessage());
        }
    }

    @Test
    void missingOrMisShapedTensorsAndUnknownActivationsFailCreateLikeTheOtherBanks() {
        TestContext context = experts(new Random(1), 3, 4, 6, 4);
        context.remove("experts.2.fc2.bias");
        ExpertBankFactory factory = new BlasMlpExpertBankFactory();
        ModelFormatException missing = assertThrows(ModelFormatException.class, () -> factory.create(context, spec(3, 2, "gelu")));
        assertTrue(missing.getMessage().contains("experts.2.fc2.bias"), missing.getMessage());

        TestContext shaped = experts(new Random(1), 2, 4, 6, 4);
        shaped.put("experts.1.fc1.weight", manager.zeros(new Shape(6, 5)));
        ModelFormatException wrong = assertThrows(ModelFormatException.class, () -> factory.create(shaped, spec(2, 1, "gelu")));
        assertTrue(wrong.getMessage().contains("experts.1.fc1.weight") && wrong.getMessage().contains("(6, 5)"),
                wrong.getMessage());

        MoxieException act = assertThrows(MoxieException.class, () -> factory.create(shaped, spec(2, 1, "swish")));
        assertTrue(act.getMessage().contains("swish") && act.getMessage().contains("quick_gelu"), act.getMessage());
    }

    @Test
    void refusesAGpuDeviceNamingTheBanksThatRunThere() {
        TestContext gpu = experts(new Random(1), 2, 4, 6, 4).reportingDevice(Device.gpu());
        MoxieException e = assertThrows(MoxieException.class,
                () -> new BlasMlpExpertBankFactory().create(gpu, spec(2, 1, "gelu")));
        assertTrue(e.getMessage().contains("grouped-mlp-blas") && e.getMessage().contains("gpu")
                && e.getMessage().contains("'grouped-mlp'"), e.getMessage());
    }

    /**
     * The bank's classes and the host's {@code io.moxie.blas} loaded without JavaCPP/OpenBLAS (a host whose OpenBLAS
     * cannot load): the factory still loads, and create fails with a message saying why.
     */
    @Test
    void withoutOpenBlasCreateFailsClearlyInsteadOfTheBundleBreaking() throws Exception {
        URL[] urls = {location(BlasMlpExpertBankFactory.class), location(ExpertBank.class), location(NDArray.class),
            location(io.moxie.blas.OpenBlas.class)};
        try (URLClassLoader isolated = new URLClassLoader(urls, ClassLoader.getPlatformClassLoader())) {
            Class<?> contextType = isolated.loadClass(ComponentContext.class.getName());
            Class<?> specType = isolated.loadClass(MoeSpec.class.getName());
            Object cpu = isolated.loadClass(Device.class.getName()).getMethod("cpu").invoke(null);
            Object context = Proxy.newProxyInstance(isolated, new Class<?>[] {contextType},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "device" -> cpu;
                        case "name" -> "tower";
                        default -> throw new UnsupportedOperationException(method.getName());
                    });
            Object spec = specType.getConstructors()[0].newInstance("layer0", "gate", 2, 1, KEYS, Map.of("activation", "gelu"));
            Object factory = isolated.loadClass(BlasMlpExpertBankFactory.class.getName()).getConstructor().newInstance();
            InvocationTargetException e = assertThrows(InvocationTargetException.class,
                    () -> factory.getClass().getMethod("create", contextType, specType).invoke(factory, context, spec));
            Throwable cause = e.getCause();
            assertEquals(MoxieException.class.getName(), cause.getClass().getName(), String.valueOf(cause));
            assertTrue(cause.getMessage().contains("OpenBLAS") && cause.getMessage().contains("'grouped-mlp'"),
                    cause.getMessage());
        }
    }

    private static URL location(Class<?> type) {
        return type.getProtectionDomain().getCodeSource().getLocation();
    }

    private float[] run(ExpertBank bank, TestContext context, MoeSpec spec, int tokens, int idle, boolean transposed) {
        Random same = new Random(tokens * 7L + spec.numExperts());
        int in = (int) context.shape("experts.0.fc1.weight").get(1);
        try (TestRequest request = new TestRequest(manager)) {
            NDManager m = request.manager();
            Routing routing = randomRouting(m, same, tokens, spec.numExperts(), spec.topK(), idle);
            float[] values = gaussian(same, tokens * in);
            NDArray x = m.create(values, new Shape(tokens, in));
            if (transposed) { // the same matrix, as a strided view of its transpose
                float[] columns = new float[values.length];
                for (int t = 0; t < tokens; t++) {
                    for (int c = 0; c < in; c++) {
                        columns[c * tokens + t] = values[t * in + c];
                    }
                }
                x = m.create(columns, new Shape(in, tokens)).transpose();
            }
            return bank.forward(x, routing, request).toFloatArray();
        }
    }

    private static void assertClose(float[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 4e-6 + 2e-6 * Math.abs(expected[i]), what + " element " + i);
        }
    }

    private TestContext experts(Random random, int e, int in, int hidden, int out) {
        return MlpTestExperts.experts(new TestContext(manager), random, e, in, hidden, out,
                FanInScale.VARIANCE_ONE_OVER_FAN_IN);
    }
}
