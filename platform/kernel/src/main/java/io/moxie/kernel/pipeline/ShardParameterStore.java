package io.moxie.kernel.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ModelFormatException;
import io.moxie.api.MoeSpec;
import io.moxie.api.ParameterStore;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * What an expert bank holding some of a layer's experts sees of the checkpoint: its experts renumbered {@code 0..n-1}
 * under the keys {@code moxie.spread.<i>.<role>}, each read from the real key of the global expert it stands for.
 * Not leased: the spread leased the whole share on the device before the bank was built.
 */
final class ShardParameterStore implements ParameterStore {
    private static final String PREFIX = "moxie.spread.";

    private final ParameterStore checkpoint;
    private final MoeSpec layer;
    private final int[] experts;

    /**
     * @param checkpoint the model's weights
     * @param layer the whole layer's spec (real key templates)
     * @param experts the global index of each local expert
     */
    ShardParameterStore(ParameterStore checkpoint, MoeSpec layer, int[] experts) {
        this.checkpoint = checkpoint;
        this.layer = layer;
        this.experts = experts.clone();
    }

    /** Returns the key template of a role for the shard's spec. */
    static String template(String role) {
        return PREFIX + "{e}." + role;
    }

    /** Maps a shard key onto the checkpoint's key. */
    private String real(String key) {
        int dot = key.indexOf('.', PREFIX.length());
        if (!key.startsWith(PREFIX) || dot < 0) {
            throw new ModelFormatException("model '" + modelName() + "': MoE layer " + layer.layer() + ": an expert bank "
                    + "spread over devices may read only its experts' tensors, not '" + key + "'");
        }
        int local;
        try {
            local = Integer.parseInt(key.substring(PREFIX.length(), dot));
        } catch (NumberFormatException e) {
            throw new ModelFormatException("model '" + modelName() + "': no tensor '" + key + "'");
        }
        if (local < 0 || local >= experts.length) {
            throw new ModelFormatException("model '" + modelName() + "': MoE layer " + layer.layer() + ": expert "
                    + local + " of a device holding " + experts.length + " experts does not exist");
        }
        return layer.expertKey(key.substring(dot + 1), experts[local]);
    }

    @Override
    public String modelName() {
        return checkpoint.modelName();
    }

    @Override
    public Set<String> keys() {
        Set<String> keys = new LinkedHashSet<>();
        for (int i = 0; i < experts.length; i++) {
            for (String role : layer.expertKeys().keySet()) {
                keys.add(template(role).replace("{e}", Integer.toString(i)));
            }
        }
        return keys;
    }

    @Override
    public boolean contains(String key) {
        try {
            return checkpoint.contains(real(key));
        } catch (ModelFormatException e) {
            return false;
        }
    }

    @Override
    public Shape shape(String key) {
        return checkpoint.shape(real(key));
    }

    @Override
    public DataType storedType(String key) {
        return checkpoint.storedType(real(key));
    }

    @Override
    public NDArray load(String key, NDManager manager) {
        return checkpoint.load(real(key), manager);
    }

    @Override
    public NDArray loadConcatenated(List<String> keys, List<Shape> expected, NDManager manager) {
        return checkpoint.loadConcatenated(keys.stream().map(this::real).toList(), expected, manager);
    }
}
