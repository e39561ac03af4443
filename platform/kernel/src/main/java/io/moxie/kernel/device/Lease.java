package io.moxie.kernel.device;

import ai.djl.Device;

/**
 * Memory a component holds on a device. It grows by {@link #reserve} before each allocation and returns everything
 * on {@link #close()}. Owned by the compiled pipeline version the component belongs to. Thread-safe.
 */
public final class Lease implements AutoCloseable {
    private final DeviceManager manager;
    private final Device device;
    private final String owner;
    private long bytes;
    private boolean closed;

    Lease(DeviceManager manager, Device device, String owner) {
        this.manager = manager;
        this.device = device;
        this.owner = owner;
    }

    /**
     * Reserves more bytes before allocating them.
     *
     * @param amount the bytes about to be allocated
     * @param what what they are for, named in the error (e.g. a checkpoint key)
     * @throws ResourceExhaustedException if the device has not that much free; nothing is reserved then
     */
    public synchronized void reserve(long amount, String what) {
        if (closed) {
            throw new IllegalStateException("lease of " + owner + " is closed");
        }
        manager.take(device, owner, amount, what);
        bytes += amount;
    }

    /** Returns the bytes held. */
    public synchronized long bytes() {
        return bytes;
    }

    public Device device() {
        return device;
    }

    public String owner() {
        return owner;
    }

    /** Returns every byte to the device; idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            manager.give(device, owner, bytes);
            bytes = 0;
        }
    }
}
