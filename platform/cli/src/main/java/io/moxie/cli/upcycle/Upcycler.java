package io.moxie.cli.upcycle;

import ai.djl.ndarray.types.DataType;
import io.moxie.api.InvalidInputException;
import io.moxie.kernel.io.SafetensorsFile;
import io.moxie.kernel.tensor.HostTensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Co-upcycling (README §6): turns a dense CuMo checkpoint into an E-expert one, tensor for tensor as the reference's
 * {@code upcycle} does.
 *
 * <ul>
 *   <li>HF CLIPVisionModel keys {@code vision_model.*} get the prefix {@code model.vision_tower.};
 *   <li>every tower {@code ...encoder.layers.{l}.mlp.{rest}} becomes {@code ...layers.{l}.experts.{e}.{rest}} for
 *       each expert, and each layer with an {@code mlp.fc1.weight} gets a gate {@code ...layers.{l}.gate.weight};
 *   <li>every projector {@code model.mm_projector.{digits}.*} becomes {@code model.mm_projector.experts.{e}.*}, and
 *       {@code model.mm_projector.0.weight} brings a gate {@code model.mm_projector.gate.weight};
 *   <li>everything else is kept as it is;
 *   <li>gates are drawn from one {@link TorchGenerator} in the order tower layers by index, then the projector, as
 *       {@code [E, fan_in]} with fan_in the {@code fc1} / {@code 0.weight} input width, and stored in that weight's
 *       dtype.
 * </ul>
 *
 * Expert tensors are the dense tensors themselves (views, no copies): the result is only read, by the writer.
 * Stateless.
 */
public final class Upcycler {
    static final String TOWER = "model.vision_tower.vision_model.";
    static final String PROJECTOR = "model.mm_projector.";
    private static final String LAYERS = TOWER + "encoder.layers.";
    private static final String HF_TOWER = "vision_model.";
    private static final String MLP = ".mlp.";

    private Upcycler() {}

    /** A gate to draw: where it goes, its fan-in, its dtype, and its place in the drawing order. */
    private record Gate(long order, String name, int fanIn, DataType dtype) {}

    /**
     * Upcycles {@code dense} to {@code experts} experts; the result maps output keys to tensors (write it with the
     * kernel's {@code SafetensorsWriter}, which sorts the keys as the reference's writer does).
     *
     * @throws InvalidInputException if {@code dense} has neither a tower {@code mlp.fc1.weight} nor a projector
     *     {@code 0.weight} (not a dense CuMo checkpoint), or a tensor that should be a gate's source is unusable
     */
    public static Map<String, HostTensor> upcycle(SafetensorsFile dense, int experts, GateInit init, long seed) {
        if (experts < 1) {
            throw new IllegalArgumentException("experts must be at least 1, got " + experts);
        }
        // Python dict semantics: a key renamed onto an existing one keeps the first position and the last value
        Map<String, HostTensor> src = new LinkedHashMap<>();
        for (String key : dense.keys()) {
            String name = key.startsWith(HF_TOWER) ? "model.vision_tower." + key : key;
            src.put(name, new HostTensor(dense.storedType(key), dense.shape(key).getShape(), dense.rawView(key)));
        }
        Map<String, HostTensor> out = new LinkedHashMap<>();
        List<Gate> gates = new ArrayList<>();
        for (Map.Entry<String, HostTensor> e : src.entrySet()) {
            String key = e.getKey();
            HostTensor value = e.getValue();
            int mlp = key.indexOf(MLP);
            if (key.startsWith(LAYERS) && mlp >= 0) {
                if (key.indexOf(MLP, mlp + MLP.length()) >= 0) {
                    throw invalid(dense, key, "has '.mlp.' twice");
                }
                String layerPrefix = key.substring(0, mlp);
                String rest = key.substring(mlp + MLP.length());
                for (int x = 0; x < experts; x++) {
                    out.put(layerPrefix + ".experts." + x + "." + rest, value);
                }
                if (rest.equals("fc1.weight")) {
                    gates.add(new Gate(layerIndex(dense, key, layerPrefix), layerPrefix + ".gate.weight",
                            fanIn(dense, key, value), value.dataType()));
                }
            } else if (key.startsWith(PROJECTOR) && isDigits(firstSegment(key.substring(PROJECTOR.length())))) {
                for (int x = 0; x < experts; x++) {
                    out.put(PROJECTOR + "experts." + x + "." + key.substring(PROJECTOR.length()), value);
                }
            } else {
                out.put(key, value);
            }
        }
        gates.sort(Comparator.comparingLong(Gate::order).thenComparing(Gate::name));
        HostTensor projector = src.get(PROJECTOR + "0.weight");
        if (projector != null) {
            gates.add(new Gate(gates.size(), PROJECTOR + "gate.weight",
                    fanIn(dense, PROJECTOR + "0.weight", projector), projector.dataType()));
        }
        if (gates.isEmpty()) {
            throw new InvalidInputException(dense.path() + ": not a dense CuMo checkpoint: no '" + LAYERS
                    + "{l}.mlp.fc1.weight' and no '" + PROJECTOR + "0.weight'"
                    + (hasExperts(src) ? " (it already has experts: upcycled before?)" : ""));
        }
        TorchGenerator gen = new TorchGenerator(seed);
        for (Gate g : gates) {
            float[] values = init.draw(gen, experts, g.fanIn());
            out.put(g.name(), store(values, new long[] {experts, g.fanIn()}, g.dtype(), dense, g.name()));
        }
        return out;
    }

    /** The gate in the dtype of its source weight ({@code g.to(dtype)}): F32 as is, F16/BF16 rounded, F64 widened. */
    private static HostTensor store(float[] values, long[] shape, DataType dtype, SafetensorsFile dense, String name) {
        int n = values.length;
        ByteBuffer buf;
        switch (dtype) {
            case FLOAT32 -> {
                buf = allocate(n, 4);
                buf.asFloatBuffer().put(values);
            }
            case FLOAT16, BFLOAT16 -> {
                buf = allocate(n, 2);
                for (float v : values) {
                    buf.putShort(dtype == DataType.FLOAT16 ? FloatNarrowing.toHalfBits(v)
                            : FloatNarrowing.toBfloat16Bits(v));
                }
                buf.flip();
            }
            case FLOAT64 -> {
                buf = allocate(n, 8);
                for (float v : values) {
                    buf.putDouble(v);
                }
                buf.flip();
            }
            default -> throw invalid(dense, name, "would take the dtype of its source weight, " + dtype
                    + ", which is not a floating type");
        }
        return new HostTensor(dtype, shape, buf);
    }

    private static ByteBuffer allocate(int count, int itemSize) {
        return ByteBuffer.allocate(Math.multiplyExact(count, itemSize)).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** {@code int(layer_prefix.rsplit(".", 1)[1])}: the layer number that orders the gates. */
    private static long layerIndex(SafetensorsFile dense, String key, String layerPrefix) {
        String last = layerPrefix.substring(layerPrefix.lastIndexOf('.') + 1);
        if (!isDigits(last) || last.length() > 18) {
            throw invalid(dense, key, "does not name a layer number before '.mlp.'");
        }
        return Long.parseLong(last);
    }

    private static int fanIn(SafetensorsFile dense, String key, HostTensor weight) {
        long[] shape = weight.shape();
        if (shape.length != 2) {
            throw invalid(dense, key, "has shape " + Arrays.toString(shape)
                    + "; a linear weight [out, in] is needed to size the gate");
        }
        return Math.toIntExact(shape[1]);
    }

    private static boolean hasExperts(Map<String, HostTensor> src) {
        return src.keySet().stream().anyMatch(k -> k.contains(".experts.") || k.endsWith(".gate.weight"));
    }

    private static String firstSegment(String s) {
        int dot = s.indexOf('.');
        return dot < 0 ? s : s.substring(0, dot);
    }

    private static boolean isDigits(String s) {
        return !s.isEmpty() && s.chars().allMatch(c -> c >= '0' && c <= '9');
    }

    private static InvalidInputException invalid(SafetensorsFile dense, String key, String problem) {
        return new InvalidInputException(dense.path() + ": tensor '" + key + "' " + problem);
    }
}
