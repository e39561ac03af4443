package io.moxie.kernel.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ModelFormatException;
import io.moxie.api.ParameterStore;
import io.moxie.kernel.io.SafetensorsFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
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
        return loadConcatenated(List.of(key), List.of(shape(key)), manager);
    }

    /**
     * On the CPU, allocates the result in the engine and copies each tensor from the mapped file straight into it
     * (widening F16, BF16 and F64 on the way): one allocation per result and no intermediate array or Java direct
     * buffer, so nothing is freed during loading. A freed weight-sized block would stay resident in the C allocator's
     * heap (glibc raises its mmap threshold after the first large free), which made a loaded ViT-L/14 take 131 % of
     * its weights' bytes (docs/PERFORMANCE.md, Octavius 2D).
     */
    @Override
    public NDArray loadConcatenated(List<String> keys, List<Shape> expected, NDManager manager) {
        Shape total = ParameterStore.concatenatedShape(keys, expected);
        DataType type = null;
        for (int i = 0; i < keys.size(); i++) {
            String key = keys.get(i);
            Shape actual = shape(key);
            if (!actual.equals(expected.get(i))) {
                throw new ModelFormatException("model '" + modelName + "': tensor '" + key + "' has shape " + actual
                        + ", expected " + expected.get(i));
            }
            DataType loaded = loadedType(key);
            if (type != null && loaded != type) {
                throw new ModelFormatException("model '" + modelName + "': tensors " + keys
                        + " cannot be loaded as one array: '" + key + "' is " + loaded + ", not " + type);
            }
            type = loaded;
        }
        if (!manager.getDevice().equals(Device.cpu()) || ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            return loadViaEngine(keys, manager);
        }
        NDArray array = manager.create(total, type); // uninitialised engine memory, freed at once on close
        if (total.size() == 0) {
            return array;
        }
        try {
            ByteBuffer target = array.toByteBuffer(true).order(ByteOrder.LITTLE_ENDIAN);
            if (!target.isDirect()) {
                throw new IllegalStateException("the engine did not share the memory of a new CPU array");
            }
            for (String key : keys) {
                file(key).copyTo(key, target);
            }
        } catch (RuntimeException e) {
            array.close();
            throw e;
        }
        array.setName(String.join("+", keys));
        return array;
    }

    /** Floating-point tensors load as float32, others as stored. */
    private DataType loadedType(String key) {
        DataType stored = storedType(key);
        return stored.isFloating() ? DataType.FLOAT32 : stored;
    }

    /**
     * Another device (or a big-endian host): each tensor goes to the engine from the mapped bytes, and is cloned so the
     * result does not borrow the mapping; several are then concatenated.
     */
    private NDArray loadViaEngine(List<String> keys, NDManager manager) {
        try (NDList parts = new NDList()) {
            for (String key : keys) {
                SafetensorsFile file = file(key);
                DataType stored = file.storedType(key);
                if (loadedType(key) == stored) {
                    try (NDArray mapped = manager.create(file.rawView(key), file.shape(key), stored)) {
                        parts.add(mapped.duplicate());
                    }
                } else {
                    parts.add(file.readFloat32(key).toNDArray(manager));
                }
            }
            NDArray array = parts.size() == 1 ? parts.remove(0) : NDArrays.concat(parts, 0);
            array.setName(String.join("+", keys));
            return array;
        }
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
