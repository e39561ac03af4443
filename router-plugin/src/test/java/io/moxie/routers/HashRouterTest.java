package io.moxie.routers;

import io.moxie.testkit.TestContext;
import io.moxie.testkit.TestRequest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.MoeSpec;
import io.moxie.api.Router;
import io.moxie.api.Routing;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HashRouterTest {
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
    void tokensCycleThroughTheExpertsWithUniformWeights() {
        Router router = hash(5, 3);
        Routing r = route(router, 7, new Random(1));
        long[] expected = new long[7 * 3];
        for (int t = 0; t < 7; t++) {
            for (int j = 0; j < 3; j++) {
                expected[t * 3 + j] = (t * 3 + j) % 5;
            }
        }
        assertArrayEquals(expected, r.indices().toLongArray());
        for (float w : r.weights().toFloatArray()) {
            assertEquals(1f / 3, w);
        }
        assertEquals(new Shape(7, 3), r.weights().getShape());
    }

    @Test
    void routingIsDeterministicAndIgnoresTheHiddenStates() {
        Router router = hash(4, 2);
        Routing first = route(router, 33, new Random(1));
        Routing second = route(router, 33, new Random(2));
        assertArrayEquals(first.indices().toLongArray(), second.indices().toLongArray());
        assertArrayEquals(first.weights().toFloatArray(), second.weights().toFloatArray());
        assertArrayEquals(first.indices().toLongArray(), route(hash(4, 2), 33, new Random(1)).indices().toLongArray());
    }

    @Test
    void everyExpertGetsAnEqualShareOfAFullCycle() {
        Routing r = route(hash(6, 2), 12, new Random(3));
        assertArrayEquals(new long[] {4, 4, 4, 4, 4, 4}, r.expertLoad());
    }

    private Router hash(int e, int k) {
        return new HashRouterFactory().create(new TestContext(manager), new MoeSpec("layer0", null, e, k, Map.of(), Map.of()));
    }

    private Routing route(Router router, int tokens, Random random) {
        TestRequest request = new TestRequest(manager);
        return router.route(request.manager().create(TopKRouterTest.gaussian(random, tokens * 8, 1f),
                new Shape(tokens, 8)), request);
    }
}
