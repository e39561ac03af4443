package io.moxie.encoders;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import io.moxie.api.ParameterStore;
import io.moxie.kernel.io.SafetensorsWriter;
import io.moxie.kernel.model.ModelRepository;
import io.moxie.kernel.tensor.HostTensor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Rewrites a model directory's CLIP tower in the other key layout (README-octavius2d §5), written out here from the
 * README's table rather than taken from the code under test: Hugging Face {@code vision_model.*} with separate q, k, v
 * and OpenAI {@code visual.*} with the fused {@code in_proj} (rows q, k, v). Tensors outside the tower are copied.
 */
final class TowerLayouts {
    private static final String HF = "vision_model.";
    private static final String OA = "visual.";
    private static final List<String[]> RENAMES = List.of(
            new String[] {"embeddings.patch_embedding.weight", "conv1.weight"},
            new String[] {"embeddings.class_embedding", "class_embedding"},
            new String[] {"embeddings.position_embedding.weight", "positional_embedding"},
            new String[] {"pre_layrnorm.", "ln_pre."},
            new String[] {"post_layernorm.", "ln_post."},
            new String[] {"encoder.layers.", "transformer.resblocks."},
            new String[] {".self_attn.out_proj.", ".attn.out_proj."},
            new String[] {".layer_norm1.", ".ln_1."},
            new String[] {".layer_norm2.", ".ln_2."},
            new String[] {".mlp.fc1.", ".mlp.c_fc."},
            new String[] {".mlp.fc2.", ".mlp.c_proj."});

    private TowerLayouts() {
    }

    /** Writes {@code source}'s model with its tower in the other layout to {@code target} (config.json copied). */
    static Path convert(Path source, Path target) throws IOException {
        Files.createDirectories(target);
        Files.copy(source.resolve("config.json"), target.resolve("config.json"));
        try (ModelRepository repository = new ModelRepository(source.getParent());
             NDManager manager = NDManager.newBaseManager()) {
            ParameterStore params = repository.openDirectory(source).parameters();
            Map<String, NDArray> in = new LinkedHashMap<>();
            params.keys().forEach(k -> in.put(k, params.load(k, manager)));
            boolean hf = in.keySet().stream().anyMatch(k -> k.startsWith(HF));
            Map<String, NDArray> out = hf ? toOpenAi(in) : toHf(in);
            Map<String, HostTensor> host = new LinkedHashMap<>();
            out.forEach((k, v) -> host.put(k, HostTensor.copyOf(v)));
            SafetensorsWriter.write(target.resolve("model.safetensors"), host);
        }
        return target;
    }

    /** Writes {@code source}'s model plus a copy of its tower in the other layout: a file with both layouts. */
    static Path withBothLayouts(Path source, Path target) throws IOException {
        Path other = convert(source, target.resolveSibling(target.getFileName() + "-other"));
        Files.createDirectories(target);
        Files.copy(source.resolve("config.json"), target.resolve("config.json"));
        Files.copy(source.resolve("model.safetensors"), target.resolve("a.safetensors"));
        try (ModelRepository repository = new ModelRepository(other.getParent());
             NDManager manager = NDManager.newBaseManager()) {
            ParameterStore params = repository.openDirectory(other).parameters();
            Map<String, HostTensor> tower = new LinkedHashMap<>();
            for (String k : params.keys()) {
                if (k.startsWith(HF) || k.startsWith(OA)) {
                    tower.put(k, HostTensor.copyOf(params.load(k, manager)));
                }
            }
            SafetensorsWriter.write(target.resolve("b.safetensors"), tower);
        }
        return target;
    }

    /** Writes {@code source}'s model with the tensors {@code edit} maps to null left out, or replaced. */
    static Path edited(Path source, Path target, Map<String, UnaryOperator<NDArray>> edits) throws IOException {
        Files.createDirectories(target);
        Files.copy(source.resolve("config.json"), target.resolve("config.json"));
        try (ModelRepository repository = new ModelRepository(source.getParent());
             NDManager manager = NDManager.newBaseManager()) {
            ParameterStore params = repository.openDirectory(source).parameters();
            Map<String, HostTensor> out = new LinkedHashMap<>();
            for (String k : params.keys()) {
                NDArray v = params.load(k, manager);
                NDArray edited = edits.getOrDefault(k, UnaryOperator.identity()).apply(v);
                if (edited != null) {
                    out.put(k, HostTensor.copyOf(edited));
                }
            }
            SafetensorsWriter.write(target.resolve("model.safetensors"), out);
        }
        return target;
    }

    private static Map<String, NDArray> toOpenAi(Map<String, NDArray> in) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : in.entrySet()) {
            String k = e.getKey();
            if (!k.startsWith(HF)) {
                out.put(k, e.getValue());
            } else if (k.contains(".self_attn.q_proj.")) {
                String layer = k.substring(0, k.indexOf(".self_attn."));
                String part = k.endsWith("weight") ? "weight" : "bias";
                NDArray fused = NDArrays.concat(new NDList(e.getValue(),
                        in.get(layer + ".self_attn.k_proj." + part), in.get(layer + ".self_attn.v_proj." + part)));
                out.put(OA + rename(layer.substring(HF.length()) + ".", true) + "attn.in_proj_" + part, fused);
            } else if (!k.contains(".self_attn.k_proj.") && !k.contains(".self_attn.v_proj.")) {
                out.put(OA + rename(k.substring(HF.length()), true), e.getValue());
            }
        }
        return out;
    }

    private static Map<String, NDArray> toHf(Map<String, NDArray> in) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : in.entrySet()) {
            String k = e.getKey();
            if (k.equals(OA + "proj")) {
                out.put("visual_projection.weight", e.getValue().transpose()); // HF stores proj transposed
            } else if (!k.startsWith(OA)) {
                out.put(k, e.getValue());
            } else if (k.contains(".attn.in_proj_")) {
                String layer = rename(k.substring(OA.length(), k.indexOf("attn.in_proj_")), false);
                String part = k.endsWith("weight") ? "weight" : "bias";
                NDList qkv = e.getValue().split(3, 0);
                String[] names = {"q_proj.", "k_proj.", "v_proj."};
                for (int i = 0; i < 3; i++) {
                    out.put(HF + layer + "self_attn." + names[i] + part, qkv.get(i));
                }
            } else {
                out.put(HF + rename(k.substring(OA.length()), false), e.getValue());
            }
        }
        return out;
    }

    private static String rename(String name, boolean toOpenAi) {
        String s = name;
        for (String[] r : RENAMES) {
            s = toOpenAi ? s.replace(r[0], r[1]) : s.replace(r[1], r[0]);
        }
        return s;
    }
}
