package io.moxie.kernel.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ParameterStore;
import io.moxie.kernel.device.Lease;
import java.util.List;
import java.util.Set;

/**
 * A component's view of its model's weights: every tensor is leased on the component's device before it is
 * allocated, so a model that does not fit fails its build instead of the process.
 */
final class LeasedParameterStore implements ParameterStore {
    private final ParameterStore delegate;
    private final Lease lease;

    LeasedParameterStore(ParameterStore delegate, Lease lease) {
        this.delegate = delegate;
        this.lease = lease;
    }

    @Override
    public String modelName() {
        return delegate.modelName();
    }

    @Override
    public Set<String> keys() {
        return delegate.keys();
    }

    @Override
    public boolean contains(String key) {
        return delegate.contains(key);
    }

    @Override
    public Shape shape(String key) {
        return delegate.shape(key);
    }

    @Override
    public DataType storedType(String key) {
        return delegate.storedType(key);
    }

    @Override
    public NDArray load(String key, NDManager manager) {
        lease.reserve(allocatedBytes(delegate, key), "tensor '" + key + "' of model '" + modelName() + "'");
        return delegate.load(key, manager);
    }

    @Override
    public NDArray loadConcatenated(List<String> keys, List<Shape> expected, NDManager manager) {
        long bytes = 0;
        for (String key : keys) {
            bytes += allocatedBytes(delegate, key);
        }
        lease.reserve(bytes, "tensors " + keys + " of model '" + modelName() + "'");
        return delegate.loadConcatenated(keys, expected, manager);
    }

    /** Returns the bytes loading a tensor allocates, known from the checkpoint's header alone. */
    static long allocatedBytes(ParameterStore store, String key) {
        DataType stored = store.storedType(key);
        // floating-point tensors are widened to float32 on load: lease what will be allocated, not what is stored
        int itemBytes = stored.isFloating() ? 4 : stored.getNumOfBytes();
        return store.shape(key).size() * itemBytes;
    }
}
