package io.moxie.encoders.clip.layout;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ModelFormatException;
import io.moxie.api.ParameterStore;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A checkpoint's vision tower under canonical names ({@link ClipKeyLayout#CUMO}), whatever layout the file uses.
 * Only the tower's tensors are visible; every other key of the checkpoint is ignored. Errors name the key as the
 * checkpoint spells it. Loads go straight to the underlying store (no copy beyond its own); immutable, thread-safe.
 */
public final class CanonicalTowerStore implements ParameterStore {
    private final ParameterStore checkpoint;
    private final ClipKeyLayout layout;
    private final Map<String, String> keys;

    private CanonicalTowerStore(ParameterStore checkpoint, ClipKeyLayout layout, Map<String, String> keys) {
        this.checkpoint = checkpoint;
        this.layout = layout;
        this.keys = Collections.unmodifiableMap(keys);
    }

    /**
     * Returns the tower of {@code checkpoint}.
     *
     * @throws ModelFormatException if the checkpoint holds no vision tower or towers in more than one layout
     */
    public static CanonicalTowerStore of(ParameterStore checkpoint) {
        ClipKeyLayout layout = ClipKeyLayout.detect(checkpoint);
        Map<String, String> keys = new LinkedHashMap<>();
        for (String key : checkpoint.keys()) {
            layout.toCanonical(key).ifPresent(canonical -> keys.put(canonical, key));
        }
        return new CanonicalTowerStore(checkpoint, layout, keys);
    }

    /** Returns the layout the checkpoint uses. */
    public ClipKeyLayout layout() {
        return layout;
    }

    @Override
    public String modelName() {
        return checkpoint.modelName();
    }

    @Override
    public Set<String> keys() {
        return keys.keySet();
    }

    @Override
    public boolean contains(String key) {
        return keys.containsKey(key);
    }

    @Override
    public Shape shape(String key) {
        return checkpoint.shape(checkpointKey(key));
    }

    @Override
    public DataType storedType(String key) {
        return checkpoint.storedType(checkpointKey(key));
    }

    @Override
    public NDArray load(String key, NDManager manager) {
        return checkpoint.load(checkpointKey(key), manager);
    }

    @Override
    public NDArray load(String key, Shape expected, NDManager manager) {
        return loadConcatenated(List.of(key), List.of(expected), manager);
    }

    @Override
    public NDArray loadConcatenated(List<String> keys, List<Shape> expected, NDManager manager) {
        // the checkpoint checks the shapes, naming its own keys
        return checkpoint.loadConcatenated(keys.stream().map(this::checkpointKey).toList(), expected, manager);
    }

    private String checkpointKey(String canonical) {
        String actual = keys.get(canonical);
        if (actual == null) {
            throw new ModelFormatException("model '" + modelName() + "': checkpoint has no tensor '"
                    + layout.toCheckpoint(canonical) + "' (vision tower in the " + layout.description() + " layout)");
        }
        return actual;
    }
}
