package io.moxie.gateway.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ComponentContext;
import io.moxie.api.ExpertBank;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.MoeLayer;
import io.moxie.api.MoeSpec;
import io.moxie.api.RequestContext;
import io.moxie.api.Router;
import io.moxie.api.RouterFactory;
import io.moxie.api.Routing;
import io.moxie.api.Stage;
import io.moxie.api.StageFactory;
import io.moxie.api.TensorSpec;
import io.moxie.kernel.registry.ComponentKind;
import io.moxie.kernel.registry.ComponentRegistry;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Small real components for gateway and CLI tests, registered in process. They allocate real DJL memory through
 * the contexts the kernel gives them.
 *
 * <ul>
 *   <li>stage {@code identity}: input {@code x} of any dtype and rank {@code config.rank} (default 2) is output
 *       {@code x} unchanged: the gateway benchmark's pipeline.</li>
 *   <li>stage {@code moe-scale}: one MoE layer {@code layer0} (4 experts, top-2) over {@code x [T, d]} float32,
 *       output {@code y}.</li>
 *   <li>routers {@code first} (experts 0 and 1 for every token) and {@code last} (experts 3 and 2), weights 1/2.</li>
 *   <li>expert bank {@code scaled}: expert {@code e} multiplies by {@code e + 1}, so with {@code first}
 *       {@code y = 1.5 x} and with {@code last} {@code y = 3.5 x}.</li>
 * </ul>
 */
public final class TestComponents {
    public static final int EXPERTS = 4;
    public static final int TOP_K = 2;

    private TestComponents() {
    }

    /** Registers all of them. */
    public static void registerAll(ComponentRegistry registry) {
        registry.register(ComponentKind.STAGE, new MoeScaleFactory(), "gateway tests");
        registry.register(ComponentKind.STAGE, new SleepFactory(), "gateway tests");
        registry.register(ComponentKind.ROUTER, new FixedRouterFactory("first", false), "gateway tests");
        registry.register(ComponentKind.ROUTER, new FixedRouterFactory("last", true), "gateway tests");
        registry.register(ComponentKind.EXPERTS, new ScaledExpertsFactory(), "gateway tests");
    }

    /** {@code sleep}: identity on float32 {@code x [-1]} after {@code config.millis} (default 300) of sleep. */
    public static final class SleepFactory implements StageFactory {
        @Override
        public String kind() {
            return "sleep";
        }

        @Override
        public Stage create(ComponentContext context) {
            long millis = context.config().getInt("millis", 300);
            TensorSpec spec = new TensorSpec("x", DataType.FLOAT32, new long[] {-1});
            return new Stage() {
                @Override
                public List<TensorSpec> inputs() {
                    return List.of(spec);
                }

                @Override
                public List<TensorSpec> outputs() {
                    return List.of(spec);
                }

                @Override
                public Map<String, NDArray> run(Map<String, NDArray> inputs, RequestContext request) {
                    try {
                        Thread.sleep(millis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return Map.of("x", inputs.get("x").add(0f));
                }

                @Override
                public Map<String, NDArray> warmUpInputs(NDManager manager) {
                    return Map.of("x", manager.zeros(new Shape(1)));
                }
            };
        }
    }

    /** {@code moe-scale}: one MoE layer. */
    public static final class MoeScaleFactory implements StageFactory {
        @Override
        public String kind() {
            return "moe-scale";
        }

        @Override
        public Stage create(ComponentContext context) {
            MoeLayer layer = context.moeLayer(new MoeSpec("layer0", "gate", EXPERTS, TOP_K, Map.of(), Map.of()));
            return new Stage() {
                @Override
                public List<TensorSpec> inputs() {
                    return List.of(new TensorSpec("x", DataType.FLOAT32, new long[] {-1, -1}));
                }

                @Override
                public List<TensorSpec> outputs() {
                    return List.of(new TensorSpec("y", DataType.FLOAT32, new long[] {-1, -1}));
                }

                @Override
                public Map<String, NDArray> run(Map<String, NDArray> inputs, RequestContext request) {
                    return Map.of("y", layer.forward(inputs.get("x"), request).output());
                }
            };
        }
    }

    /** Routes every token to a fixed set of experts. */
    public static final class FixedRouterFactory implements RouterFactory {
        private final String name;
        private final boolean last;

        public FixedRouterFactory(String name, boolean last) {
            this.name = name;
            this.last = last;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public Router create(ComponentContext context, MoeSpec spec) {
            return new Router() {
                @Override
                public Routing route(NDArray hidden, RequestContext request) {
                    int t = (int) hidden.getShape().get(0);
                    int k = spec.topK();
                    long[] idx = new long[t * k];
                    float[] w = new float[t * k];
                    for (int i = 0; i < t; i++) {
                        for (int j = 0; j < k; j++) {
                            idx[i * k + j] = last ? spec.numExperts() - 1 - j : j;
                            w[i * k + j] = 1f / k;
                        }
                    }
                    NDManager m = request.manager();
                    return new Routing(m.create(idx, new Shape(t, k)), m.create(w, new Shape(t, k)), spec.numExperts());
                }

                @Override
                public int numExperts() {
                    return spec.numExperts();
                }

                @Override
                public int topK() {
                    return spec.topK();
                }
            };
        }
    }

    /** Expert {@code e} is {@code x -> (e + 1) x}. */
    public static final class ScaledExpertsFactory implements ExpertBankFactory {
        @Override
        public String name() {
            return "scaled";
        }

        @Override
        public ExpertBank create(ComponentContext context, MoeSpec spec) {
            return new ExpertBank() {
                @Override
                public NDArray forward(NDArray x, Routing routing, RequestContext request) {
                    // per token: sum_j w[t,j] * (idx[t,j] + 1)
                    NDArray scale = routing.indices().toType(DataType.FLOAT32, false).add(1f)
                            .mul(routing.weights()).sum(new int[] {1}, true);
                    NDArray y = x.mul(scale);
                    y.attach(request.manager());
                    return y;
                }

                @Override
                public int numExperts() {
                    return spec.numExperts();
                }
            };
        }
    }
}
