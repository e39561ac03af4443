package io.moxie.experts;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntFunction;

/**
 * The experts of one layer resident on the compute device, under a byte budget: least recently used experts are
 * evicted to make room, experts in use are pinned. On a machine without an accelerator the same code pages from
 * host memory to host memory, so it is exercised wherever the tests run.
 *
 * <p>Thread-safe. Callers hold at most one pinned expert at a time (acquire, compute, release), so a budget of one
 * expert always makes progress.
 */
final class ExpertCache implements AutoCloseable {
    private final long budget;
    private final long expertBytes;
    private final NDManager manager;
    private final Device device;
    private final IntFunction<NDArray[]> host;
    // access order: the eldest entry is the least recently used
    private final LinkedHashMap<Integer, Resident> resident = new LinkedHashMap<>(16, 0.75f, true);
    private long used;
    private long hits;
    private long misses;
    private long evictions;

    private static final class Resident {
        final NDArray[] weights;
        int pins;

        Resident(NDArray[] weights) {
            this.weights = weights;
        }
    }

    /**
     * @param budget bytes the resident experts may take, at least one expert
     * @param expertBytes bytes of one expert
     * @param manager owns the resident copies (closed with the component)
     * @param device where resident copies live
     * @param host the host copy of expert {@code e} (fc1 w, fc1 b, fc2 w, fc2 b)
     */
    ExpertCache(long budget, long expertBytes, NDManager manager, Device device, IntFunction<NDArray[]> host) {
        this.budget = budget;
        this.expertBytes = expertBytes;
        this.manager = manager;
        this.device = device;
        this.host = host;
    }

    /** Pins expert {@code e} on the device, paging it in (and others out) if needed; pair with {@link #release}. */
    synchronized NDArray[] acquire(int e) throws InterruptedException {
        Resident r = resident.get(e);
        if (r != null) {
            hits++;
        } else {
            misses++;
            while (used + expertBytes > budget && !evictOne()) {
                wait(); // every resident expert is pinned by another request: wait for a release
            }
            NDArray[] src = host.apply(e);
            NDArray[] copy = new NDArray[src.length];
            for (int i = 0; i < src.length; i++) {
                // DJL's toDevice(d, true) returns an alias, not a copy, when the array already lives on d (PyTorch's
                // to() is a no-op then): host-to-host paging would page nothing and the budget would bound nothing.
                // duplicate() makes the copy a transfer to an accelerator makes.
                copy[i] = src[i].getDevice().equals(device) ? src[i].duplicate() : src[i].toDevice(device, true);
                copy[i].attach(manager);
            }
            r = new Resident(copy);
            resident.put(e, r);
            used += expertBytes;
        }
        r.pins++;
        return r.weights;
    }

    /** Unpins expert {@code e}. */
    synchronized void release(int e) {
        Resident r = resident.get(e);
        if (r != null) {
            r.pins--;
        }
        notifyAll();
    }

    private boolean evictOne() {
        for (Map.Entry<Integer, Resident> entry : resident.entrySet()) {
            if (entry.getValue().pins == 0) {
                for (NDArray a : entry.getValue().weights) {
                    a.close();
                }
                resident.remove(entry.getKey());
                used -= expertBytes;
                evictions++;
                return true;
            }
        }
        return false;
    }

    synchronized Map<String, Long> counters() {
        Map<String, Long> c = new LinkedHashMap<>();
        c.put("offload_hits", hits);
        c.put("offload_misses", misses);
        c.put("offload_evictions", evictions);
        c.put("offload_resident_bytes", used);
        c.put("offload_budget_bytes", budget);
        return c;
    }

    @Override
    public synchronized void close() {
        resident.values().forEach(r -> {
            for (NDArray a : r.weights) {
                a.close();
            }
        });
        resident.clear();
        used = 0;
    }
}
