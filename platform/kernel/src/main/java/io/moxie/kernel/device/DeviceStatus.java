package io.moxie.kernel.device;

import java.util.Map;

/**
 * One device as the admin API and {@code moxie devices} show it.
 *
 * @param name the DJL device name ({@code cpu()}, {@code gpu(0)})
 * @param capacityBytes what may be leased on it in all (configured, or total memory minus the reserve)
 * @param leasedBytes what is leased now
 * @param leases leased bytes by owner (pipeline, version and stage)
 */
public record DeviceStatus(String name, long capacityBytes, long leasedBytes, Map<String, Long> leases) {

    /** Returns the bytes still free to lease. */
    public long freeBytes() {
        return capacityBytes - leasedBytes;
    }
}
