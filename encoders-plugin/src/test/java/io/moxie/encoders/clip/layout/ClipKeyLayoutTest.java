package io.moxie.encoders.clip.layout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ModelFormatException;
import io.moxie.api.ParameterStore;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The renaming table of README-octavius2d §5 and the one-tower rule, on key names alone. */
class ClipKeyLayoutTest {
    private static final String C = ClipKeyLayout.CANONICAL_PREFIX;

    @Test
    void everyOpenAiTowerKeyHasItsHuggingFaceNameAndBack() {
        Map<String, String> table = Map.ofEntries(
                Map.entry("visual.conv1.weight", "embeddings.patch_embedding.weight"),
                Map.entry("visual.class_embedding", "embeddings.class_embedding"),
                Map.entry("visual.positional_embedding", "embeddings.position_embedding.weight"),
                Map.entry("visual.ln_pre.bias", "pre_layrnorm.bias"),
                Map.entry("visual.ln_post.weight", "post_layernorm.weight"),
                Map.entry("visual.transformer.resblocks.11.attn.in_proj_weight",
                        "encoder.layers.11.self_attn.in_proj_weight"),
                Map.entry("visual.transformer.resblocks.0.attn.out_proj.bias",
                        "encoder.layers.0.self_attn.out_proj.bias"),
                Map.entry("visual.transformer.resblocks.3.ln_1.weight", "encoder.layers.3.layer_norm1.weight"),
                Map.entry("visual.transformer.resblocks.3.ln_2.bias", "encoder.layers.3.layer_norm2.bias"),
                Map.entry("visual.transformer.resblocks.23.mlp.c_fc.weight", "encoder.layers.23.mlp.fc1.weight"),
                Map.entry("visual.transformer.resblocks.23.mlp.c_proj.bias", "encoder.layers.23.mlp.fc2.bias"));
        table.forEach((openai, hf) -> {
            assertEquals(Optional.of(C + hf), ClipKeyLayout.OPENAI.toCanonical(openai), openai);
            assertEquals(openai, ClipKeyLayout.OPENAI.toCheckpoint(C + hf), hf);
            assertEquals(Optional.of(C + hf), ClipKeyLayout.HF.toCanonical("vision_model." + hf), hf);
        });
    }

    @Test
    void tensorsOutsideTheTowerHaveNoCanonicalNameAndDoNotCountAsALayout() {
        for (String key : new String[] {"visual.proj", "visual.transformer.resblocks.0.attn.bias_k"}) {
            assertEquals(Optional.empty(), ClipKeyLayout.OPENAI.toCanonical(key), key);
        }
        ParameterStore hf = keys("vision_model.pre_layrnorm.weight", "visual_projection.weight", "text_model.x",
                "llama_proj.weight");
        assertEquals(ClipKeyLayout.HF, ClipKeyLayout.detect(hf));
    }

    @Test
    void checkpointWithNoTowerOrTwoTowersIsRefusedNamingTheLayoutsFound() {
        ModelFormatException none = assertThrows(ModelFormatException.class,
                () -> ClipKeyLayout.detect(keys("llama_proj.weight")));
        assertTrue(none.getMessage().contains("holds none"), none.getMessage());
        ModelFormatException both = assertThrows(ModelFormatException.class,
                () -> ClipKeyLayout.detect(keys("vision_model.pre_layrnorm.weight", "visual.ln_pre.weight")));
        assertTrue(both.getMessage().contains("Hugging Face CLIP (vision_model.*), OpenAI / open_clip (visual.*)]"),
                both.getMessage());
    }

    @Test
    void missingTowerTensorIsNamedAsTheCheckpointSpellsIt() {
        CanonicalTowerStore tower = CanonicalTowerStore.of(keys("visual.ln_pre.weight"));
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> tower.shape(C + "encoder.layers.4.mlp.fc2.weight"));
        assertTrue(e.getMessage().contains("'visual.transformer.resblocks.4.mlp.c_proj.weight'"), e.getMessage());
        assertEquals(Set.of(C + "pre_layrnorm.weight"), tower.keys());
    }

    /** A checkpoint with these keys, every tensor a float32 scalar that is never loaded here. */
    private static ParameterStore keys(String... names) {
        Set<String> keys = Set.of(names);
        return new ParameterStore() {
            @Override
            public String modelName() {
                return "keys-only";
            }

            @Override
            public Set<String> keys() {
                return keys;
            }

            @Override
            public boolean contains(String key) {
                return keys.contains(key);
            }

            @Override
            public Shape shape(String key) {
                if (!keys.contains(key)) {
                    throw new ModelFormatException("no tensor '" + key + "'");
                }
                return new Shape();
            }

            @Override
            public DataType storedType(String key) {
                return DataType.FLOAT32;
            }

            @Override
            public NDArray load(String key, NDManager manager) {
                throw new UnsupportedOperationException("names only");
            }
        };
    }
}
