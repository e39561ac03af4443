package io.moxie.gateway.testing;

import java.util.LinkedHashMap;
import java.util.Map;

/** Pipeline definitions over {@link TestComponents}. */
public final class TestPipelines {
    private TestPipelines() {
    }

    /** {@code identity-<dtype>}: input {@code x} of that dtype and rank passes through unchanged. */
    public static String identity(String name, String dtype, int rank, boolean finite) {
        StringBuilder shape = new StringBuilder("[");
        for (int i = 0; i < rank; i++) {
            shape.append(i == 0 ? "-1" : ", -1");
        }
        shape.append(']');
        return """
                name: %s
                description: passes x through (gateway tests and benchmark)
                inputs:
                  - {name: x, dtype: %s, shape: %s%s}
                stages:
                  - name: id
                    kind: identity
                    inputs: {x: x}
                    config: {rank: %d}
                outputs:
                  x: id.x
                """.formatted(name, dtype, shape, finite ? ", finite: true" : "", rank);
    }

    /** {@code moe}: one MoE layer over {@code x [T, d]} float32, output {@code y}. */
    public static String moe(String name, String router) {
        return """
                name: %s
                description: one MoE layer with swappable router
                inputs:
                  - {name: x, dtype: float32, shape: [-1, -1]}
                stages:
                  - name: mix
                    kind: moe-scale
                    router: %s
                    experts: scaled
                    inputs: {x: x}
                outputs:
                  y: mix.y
                """.formatted(name, router);
    }

    /** {@code slow}: float32 {@code x [-1]} back after {@code millis} ms (warm-up included, so keep it short). */
    public static String slow(String name, int millis) {
        return """
                name: %s
                inputs:
                  - {name: x, dtype: float32, shape: [-1]}
                stages:
                  - {name: nap, kind: sleep, inputs: {x: x}, config: {millis: %d}}
                outputs:
                  x: nap.x
                """.formatted(name, millis);
    }

    /** The standard set: an identity pipeline per wire dtype, a finite-input one and a MoE one. */
    public static Map<String, String> standard() {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("identity-fp32", identity("identity-fp32", "float32", 2, false));
        out.put("identity-fp16", identity("identity-fp16", "float16", 1, false));
        out.put("identity-int64", identity("identity-int64", "int64", 1, false));
        out.put("identity-int32", identity("identity-int32", "int32", 1, false));
        out.put("identity-bool", identity("identity-bool", "bool", 1, false));
        out.put("identity-uint8", identity("identity-uint8", "uint8", 1, false));
        out.put("identity-bytes", identity("identity-bytes", "bytes", 1, false));
        out.put("finite", identity("finite", "float32", 1, true));
        out.put("moe", moe("moe", "first"));
        out.put("slow", slow("slow", 400));
        return out;
    }
}
