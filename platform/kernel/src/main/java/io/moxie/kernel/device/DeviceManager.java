package io.moxie.kernel.device;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.util.cuda.CudaUtils;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The devices Moxie computes on and the memory leased on each. Every component's weights are leased before they
 * are allocated, so a model that does not fit is refused with a clear error instead of an out-of-memory crash, and
 * nothing already serving is disturbed. Capacities come from configuration ({@code conf/moxie.yaml}) or, by
 * default, from the device: total memory minus a reserve. Thread-safe.
 */
public final class DeviceManager {
    private final Map<String, Slot> slots = new LinkedHashMap<>();

    private static final class Slot {
        final Device device;
        final long capacity;
        long leased;
        final Map<String, Long> byOwner = new TreeMap<>();

        Slot(Device device, long capacity) {
            this.device = device;
            this.capacity = capacity;
        }
    }

    /** @param capacities capacity in bytes of each device, in preference order */
    public DeviceManager(Map<Device, Long> capacities) {
        if (capacities.isEmpty()) {
            throw new IllegalArgumentException("at least one device is needed");
        }
        capacities.forEach((d, c) -> {
            if (c < 0) {
                throw new IllegalArgumentException("capacity of " + d + " must not be negative");
            }
            slots.put(d.toString(), new Slot(d, c));
        });
    }

    /**
     * Discovers the devices through DJL: every GPU (total memory as its capacity), then the CPU (physical memory).
     * A configured capacity replaces the discovered one; the reserve is subtracted from each.
     *
     * @param configured capacities by device name ({@code cpu()}, {@code gpu(0)}), may be empty
     * @param reserveBytes bytes kept free on every device for activations and the runtime
     */
    public static DeviceManager discover(Map<String, Long> configured, long reserveBytes) {
        Map<Device, Long> caps = new LinkedHashMap<>();
        int gpus = Engine.getInstance().getGpuCount();
        for (int i = 0; i < gpus; i++) {
            Device gpu = Device.gpu(i);
            long total = CudaUtils.getGpuMemory(gpu).getMax();
            caps.put(gpu, configured.getOrDefault(gpu.toString(), Math.max(0, total - reserveBytes)));
        }
        long host = hostMemoryBytes();
        caps.put(Device.cpu(), configured.getOrDefault(Device.cpu().toString(), Math.max(0, host - reserveBytes)));
        return new DeviceManager(caps);
    }

    private static long hostMemoryBytes() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return Runtime.getRuntime().maxMemory();
    }

    /** Returns the preferred device to compute on: the first configured (a GPU when there is one). */
    public Device preferred() {
        return slots.values().iterator().next().device;
    }

    /** Opens an empty lease on a device for an owner. */
    public Lease lease(Device device, String owner) {
        slot(device);
        return new Lease(this, device, owner);
    }

    /** Returns every device with its leases. */
    public synchronized List<DeviceStatus> status() {
        List<DeviceStatus> out = new ArrayList<>();
        for (Slot s : slots.values()) {
            out.add(new DeviceStatus(s.device.toString(), s.capacity, s.leased, Map.copyOf(s.byOwner)));
        }
        return out;
    }

    /** Returns the bytes leased on a device. */
    public synchronized long leasedBytes(Device device) {
        return slot(device).leased;
    }

    synchronized void take(Device device, String owner, long amount, String what) {
        Slot s = slot(device);
        if (amount > s.capacity - s.leased) {
            throw new ResourceExhaustedException("device " + device + ": " + owner + " needs " + amount + " bytes for "
                    + what + ", but only " + (s.capacity - s.leased) + " of " + s.capacity + " bytes are free");
        }
        s.leased += amount;
        s.byOwner.merge(owner, amount, Long::sum);
    }

    synchronized void give(Device device, String owner, long amount) {
        Slot s = slot(device);
        s.leased -= amount;
        s.byOwner.computeIfPresent(owner, (k, v) -> v - amount <= 0 ? null : v - amount);
    }

    private Slot slot(Device device) {
        Slot s = slots.get(device.toString());
        if (s == null) {
            throw new IllegalArgumentException("unknown device " + device + " (devices: " + slots.keySet() + ")");
        }
        return s;
    }
}
