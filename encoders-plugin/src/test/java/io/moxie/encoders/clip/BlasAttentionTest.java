package io.moxie.encoders.clip;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.Config;
import io.moxie.api.ModelFormatException;
import io.moxie.api.ParameterStore;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The tower's attention on OpenBLAS gives the DJL path's numbers, whatever the heads, tokens and batch. */
class BlasAttentionTest {
    private NDManager manager;

    @BeforeEach
    void open() {
        manager = NDManager.newBaseManager();
        manager.getEngine().setRandomSeed(7);
    }

    @AfterEach
    void close() {
        manager.close();
    }

    @Test
    void matchesTheDjlAttention() {
        // {images, tokens, D, heads}: odd token counts, head_dim 12 / 32 / 64, one image and a batch of crops
        int[][] cases = {{2, 17, 48, 4}, {1, 65, 64, 2}, {5, 50, 96, 3}, {3, 145, 128, 2}};
        for (int[] c : cases) {
            ParameterStore weights = weights(c[2]);
            TowerConfig tower = TowerConfig.of(new Config(Map.of("hidden_size", c[2], "num_attention_heads", c[3],
                    "num_hidden_layers", 1, "image_size", 16, "patch_size", 4), "test"));
            try (NDManager component = manager.newSubManager()) {
                SelfAttention attention = SelfAttention.load(tower, weights, "attn.", component);
                assertNotNull(BlasAttention.ifAvailable(c[3], component.zeros(new Shape(3L * c[2], c[2])),
                        component.zeros(new Shape(3L * c[2])), component.zeros(new Shape(c[2], c[2])),
                        component.zeros(new Shape(c[2]))), "OpenBLAS must be available on the test class path");
                try (NDManager request = manager.newSubManager()) {
                    NDArray h = request.randomNormal(new Shape(c[0], c[1], c[2]));
                    float[] blas = attention.forward(h).toFloatArray();
                    float[] djl = attention.onDjl().forward(h).toFloatArray();
                    assertEquals(djl.length, blas.length);
                    for (int i = 0; i < djl.length; i++) {
                        assertEquals(djl[i], blas[i], 2e-5 + 1e-5 * Math.abs(djl[i]),
                                "images " + c[0] + " tokens " + c[1] + " D " + c[2] + " heads " + c[3] + " element " + i);
                    }
                }
            }
        }
    }

    @Test
    void leavesNothingButItsResultInTheCallersScope() {
        ParameterStore weights = weights(32);
        TowerConfig tower = TowerConfig.of(new Config(Map.of("hidden_size", 32, "num_attention_heads", 2,
                "num_hidden_layers", 1, "image_size", 16, "patch_size", 4), "test"));
        try (NDManager component = manager.newSubManager(); NDManager request = manager.newSubManager()) {
            SelfAttention attention = SelfAttention.load(tower, weights, "attn.", component);
            int held = component.getManagedArrays().size();
            NDArray h = request.randomNormal(new Shape(2, 9, 32));
            NDArray out = attention.forward(h);
            assertEquals(2, request.getManagedArrays().size(), "h and the result");
            assertEquals(request, out.getManager());
            assertEquals(new Shape(2, 9, 32), out.getShape());
            assertEquals(held, component.getManagedArrays().size());
        }
    }

    /** q, k, v and out projections of width {@code d} under {@code attn.}, with CLIP-like scales. */
    private ParameterStore weights(int d) {
        Map<String, NDArray> w = new HashMap<>();
        for (String p : new String[] {"q_proj", "k_proj", "v_proj", "out_proj"}) {
            w.put("attn." + p + ".weight", manager.randomNormal(0f, (float) (1.5 / Math.sqrt(d)), new Shape(d, d), DataType.FLOAT32));
            w.put("attn." + p + ".bias", manager.randomNormal(0f, 0.1f, new Shape(d), DataType.FLOAT32));
        }
        return new ParameterStore() {
            @Override
            public String modelName() {
                return "test";
            }

            @Override
            public Set<String> keys() {
                return w.keySet();
            }

            @Override
            public boolean contains(String key) {
                return w.containsKey(key);
            }

            @Override
            public Shape shape(String key) {
                return get(key).getShape();
            }

            @Override
            public DataType storedType(String key) {
                return DataType.FLOAT32;
            }

            @Override
            public NDArray load(String key, NDManager target) {
                NDArray copy = get(key).duplicate();
                copy.attach(target);
                return copy;
            }

            private NDArray get(String key) {
                NDArray a = w.get(key);
                if (a == null) {
                    throw new ModelFormatException("no tensor " + key);
                }
                return a;
            }
        };
    }
}
