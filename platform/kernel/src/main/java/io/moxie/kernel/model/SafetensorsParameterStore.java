package io.moxie.kernel.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ModelFormatException;
import io.moxie.api.ParameterStore;
import io.moxie.kernel.io.SafetensorsFile;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A {@link ParameterStore} over one or more safetensors files (a sharded checkpoint). Each key lives in exactly one
 * file. The files stay memory-mapped while the store is open; tensors are copied into the caller's manager on load.
 */
final class SafetensorsParameterStore implements ParameterStore, AutoCloseable {
    private final String modelName;
    private final Map<String, SafetensorsFile> fileByKey;
    private final Iterable<SafetensorsFile> files;

    SafetensorsParameterStore(String modelName, Map<String, SafetensorsFile> fileByKey, Iterable<SafetensorsFile> files) {
        this.modelName = modelName;
        this.fileByKey = Collections.unmodifiableMap(new LinkedHashMap<>(fileByKey));
        this.files = files;
    }

    @Override
    public String modelName() {
        return modelName;
    }

    @Override
    public Set<String> keys() {
        return fileByKey.keySet();
    }

    @Override
    public boolean contains(String key) {
        return fileByKey.containsKey(key);
    }

    @Override
    public Shape shape(String key) {
        return file(key).shape(key);
    }

    @Override
    public DataType storedType(String key) {
        return file(key).storedType(key);
    }

    @Override
    public NDArray load(String key, NDManager manager) {
        SafetensorsFile file = file(key);
        DataType stored = file.storedType(key);
        boolean floating = stored == DataType.FLOAT32 || stored == DataType.FLOAT16 || stored == DataType.BFLOAT16
                || stored == DataType.FLOAT64;
        NDArray array;
        if (stored == DataType.FLOAT32 || !floating) {
            // One copy, from the mapped file into memory the engine allocates and frees on close: the temporary
            // array only borrows the (read-only) mapping for the clone. No Java direct buffer is involved, so a
            // closed weight is freed at once, not at the next garbage collection.
            try (NDArray mapped = manager.create(file.rawView(key), file.shape(key), stored)) {
                array = mapped.duplicate();
            }
        } else {
            array = file.readFloat32(key).toNDArray(manager);
        }
        array.setName(key);
        return array;
    }

    /** Returns the total stored bytes of all tensors. */
    long totalBytes() {
        long total = 0;
        for (Map.Entry<String, SafetensorsFile> e : fileByKey.entrySet()) {
            total += e.getValue().shape(e.getKey()).size() * e.getValue().storedType(e.getKey()).getNumOfBytes();
        }
        return total;
    }

    private SafetensorsFile file(String key) {
        SafetensorsFile f = fileByKey.get(key);
        if (f == null) {
            throw new ModelFormatException("model '" + modelName + "': checkpoint has no tensor '" + key + "'");
        }
        return f;
    }

    @Override
    public void close() {
        for (SafetensorsFile f : files) {
            f.close();
        }
    }
}
