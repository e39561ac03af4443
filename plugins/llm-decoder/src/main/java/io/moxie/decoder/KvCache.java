package io.moxie.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.moxie.blas.SharedMemory;
import java.nio.FloatBuffer;

/**
 * One request's key/value cache: per layer, keys (after RoPE) and values {@code [kv_heads, capacity, head_dim]}
 * float32, preallocated for the whole generation. Each forward call writes its {@code t} new positions in place and
 * reads back a view of positions {@code 0 .. end-1}, so a decode step copies only its own keys and values, never the
 * cache.
 *
 * <p>Lives in the request's state (closed when the request ends, or cancelled); owns a sub-manager of the request's
 * manager. Used by one request, one layer at a time.
 */
final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final long capacity;
    // views of the CPU caches' memory for the fused decode step, made on first use (about 2 µs each)
    private final FloatBuffer[] keyMemory;
    private final FloatBuffer[] valueMemory;

    /** Allocates the cache of {@code capacity} positions in a sub-manager of {@code requestManager}. */
    KvCache(NDManager requestManager, DecoderConfig config, long capacity) {
        this.manager = requestManager.newSubManager();
        this.manager.setName("kv-cache");
        this.capacity = capacity;
        Shape shape = new Shape(config.numKvHeads(), capacity, config.headDim());
        this.keys = new NDArray[config.numLayers()];
        this.values = new NDArray[config.numLayers()];
        this.keyMemory = new FloatBuffer[config.numLayers()];
        this.valueMemory = new FloatBuffer[config.numLayers()];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = manager.zeros(shape);
            values[i] = manager.zeros(shape);
        }
    }

    /**
     * Stores the keys and values of positions {@code start .. start+t-1} of a layer.
     *
     * @param k {@code [kv_heads, t, head_dim]}
     * @param v {@code [kv_heads, t, head_dim]}
     */
    void write(int layer, long start, NDArray k, NDArray v) {
        long end = start + k.getShape().get(1);
        if (end > capacity) {
            throw new IllegalStateException("KV cache of " + capacity + " positions cannot hold position " + (end - 1));
        }
        NDIndex slots = new NDIndex().addAllDim().addSliceDim(start, end);
        keys[layer].set(slots, k);
        values[layer].set(slots, v);
    }

    /** Returns a view of the keys of positions {@code 0 .. end-1}, {@code [kv_heads, end, head_dim]}, in {@code m}. */
    NDArray keys(int layer, long end, NDManager m) {
        return keys[layer].get(m, new NDIndex().addAllDim().addSliceDim(0, end));
    }

    /** Returns a view of the values of positions {@code 0 .. end-1}, in {@code m}. */
    NDArray values(int layer, long end, NDManager m) {
        return values[layer].get(m, new NDIndex().addAllDim().addSliceDim(0, end));
    }

    /** Returns the positions the cache holds per layer. */
    int capacity() {
        return Math.toIntExact(capacity);
    }

    /**
     * Returns the memory of a layer's keys, {@code [kv_heads, capacity, head_dim]} row-major, to read and write in
     * place; valid until the cache closes. The cache must be on the CPU.
     */
    FloatBuffer keyMemory(int layer) {
        if (keyMemory[layer] == null) {
            keyMemory[layer] = SharedMemory.floats(keys[layer]);
        }
        return keyMemory[layer];
    }

    /** Returns the memory of a layer's values, as {@link #keyMemory}. */
    FloatBuffer valueMemory(int layer) {
        if (valueMemory[layer] == null) {
            valueMemory[layer] = SharedMemory.floats(values[layer]);
        }
        return valueMemory[layer];
    }

    @Override
    public void close() {
        manager.close();
    }
}
