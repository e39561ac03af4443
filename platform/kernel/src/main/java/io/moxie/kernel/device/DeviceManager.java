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
 * default, from the device: total memory minus a reserve. Simulated devices (configured, for testing placement
 * without a GPU) are accounted like any other device and compute on the host ({@link #computeDevice}). Thread-safe.
 */
public final class DeviceManager {
    private final Map<String, Slot> slots = new LinkedHashMap<>();

    private static final class Slot {
        final Device device;
        final Device compute;
        final long capacity;
        long leased;
        final Map<String, Long> byOwner = new TreeMap<>();

        Slot(Device device, Device compute, long capacity) {
            this.device = device;
            this.compute = compute;
            this.capacity = capacity;
        }
    }

    /** @param capacities capacity in bytes of each device, in preference order */
    public DeviceManager(Map<Device, Long> capacities) {
        this(capacities, Map.of());
    }

    /**
     * @param capacities capacity in bytes of each device, in preference order
     * @param simulated capacity in bytes of each simulated device ({@code sim(0)}, ...): accounted as a device of its
     *     own, computing on the host CPU (see {@link DeviceOptions}); listed after the real devices
     */
    public DeviceManager(Map<Device, Long> capacities, Map<Device, Long> simulated) {
        if (capacities.isEmpty()) {
            throw new IllegalArgumentException("at least one device is needed");
        }
        capacities.forEach((d, c) -> add(d, d, c));
        simulated.forEach((d, c) -> add(d, Device.cpu(), c));
    }

    private void add(Device device, Device compute, long capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("capacity of " + device + " must not be negative");
        }
        if (slots.putIfAbsent(device.toString(), new Slot(device, compute, capacity)) != null) {
            throw new IllegalArgumentException("device " + device + " is listed twice");
        }
    }

    /**
     * Discovers the devices through DJL: every GPU (total memory as its capacity), then the CPU (physical memory),
     * then the configured simulated devices. A configured capacity replaces the discovered one; the reserve is
     * subtracted from each discovered capacity.
     */
    public static DeviceManager discover(DeviceOptions options) {
        Map<String, Long> configured = options.capacities();
        long reserveBytes = options.reserveBytes();
        Map<Device, Long> caps = new LinkedHashMap<>();
        int gpus = Engine.getInstance().getGpuCount();
        for (int i = 0; i < gpus; i++) {
            Device gpu = Device.gpu(i);
            long total = CudaUtils.getGpuMemory(gpu).getMax();
            caps.put(gpu, configured.getOrDefault(gpu.toString(), Math.max(0, total - reserveBytes)));
        }
        long host = hostMemoryBytes();
        caps.put(Device.cpu(), configured.getOrDefault(Device.cpu().toString(), Math.max(0, host - reserveBytes)));
        Map<Device, Long> simulated = new LinkedHashMap<>();
        options.simulated().forEach((name, bytes) -> simulated.put(DeviceOptions.simulatedDevice(name), bytes));
        return new DeviceManager(caps, simulated);
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

    /** Returns every device, in preference order (real devices first, then simulated ones). */
    public List<Device> devices() {
        return slots.values().stream().map(s -> s.device).toList();
    }

    /**
     * Returns a device by the name {@code moxie devices} shows ({@code cpu()}, {@code gpu(1)}, {@code sim(0)}); DJL's
     * short forms ({@code cpu}, {@code gpu1}) are accepted too.
     *
     * @throws IllegalArgumentException naming the known devices if there is no such device
     */
    public Device device(String name) {
        String n = name.trim();
        Slot s = slots.get(n);
        if (s == null) {
            // DJL spells gpu(1) "gpu1" and cpu() "cpu"; map those onto the displayed names
            s = slots.get(n.replaceFirst("^([a-z]+)(\\d+)$", "$1($2)").replaceFirst("^cpu$", "cpu()"));
        }
        if (s == null) {
            throw new IllegalArgumentException("unknown device '" + name + "' (devices: " + slots.keySet() + ")");
        }
        return s.device;
    }

    /**
     * Returns the DJL device whose memory holds a device's tensors: the device itself, or the host CPU for a
     * simulated device.
     */
    public Device computeDevice(Device device) {
        return slot(device).compute;
    }

    /** Returns the bytes still free to lease on a device. */
    public synchronized long freeBytes(Device device) {
        Slot s = slot(device);
        return s.capacity - s.leased;
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
