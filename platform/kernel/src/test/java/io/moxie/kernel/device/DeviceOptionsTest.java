package io.moxie.kernel.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import io.moxie.api.MoxieException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeviceOptionsTest {
    @TempDir
    Path dir;

    private DeviceOptions read(String yaml) throws Exception {
        Path file = dir.resolve("moxie.yaml");
        Files.writeString(file, yaml);
        return DeviceOptions.read(file);
    }

    @Test
    void simulatedDevicesAreReadInOrderAndAccountedAfterTheRealOnes() throws Exception {
        DeviceOptions o = read("""
                devices:
                  reserve: 1MiB
                  capacity: {cpu(): 2GiB}
                  simulated: {sim(1): 64MiB, sim(0): 32MiB}
                """);
        assertEquals(List.of("sim(1)", "sim(0)"), List.copyOf(o.simulated().keySet()));
        assertEquals(64L << 20, o.simulated().get("sim(1)"));
        DeviceManager devices = DeviceManager.discover(o);
        assertEquals(List.of("cpu()", "sim(1)", "sim(0)"), devices.devices().stream().map(Device::toString).toList());
        assertEquals(Device.cpu(), devices.preferred(), "a simulated device is never the preferred one");
        Device sim1 = devices.device("sim(1)");
        assertEquals(Device.cpu(), devices.computeDevice(sim1), "simulated devices compute on the host");
        assertEquals(64L << 20, devices.freeBytes(sim1));
    }

    @Test
    void devicesAreFoundByTheNamesShownAndByDjlsShortNames() {
        DeviceManager devices = new DeviceManager(Map.of(Device.cpu(), 1L), Map.of(Device.of("sim", 0), 1L));
        assertEquals(Device.cpu(), devices.device("cpu()"));
        assertEquals(Device.cpu(), devices.device("cpu"));
        assertEquals(Device.of("sim", 0), devices.device("sim(0)"));
        assertEquals(Device.of("sim", 0), devices.device("sim0"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> devices.device("gpu(1)"));
        assertTrue(e.getMessage().contains("unknown device 'gpu(1)' (devices: [cpu(), sim(0)])"), e.getMessage());
    }

    @Test
    void badSimulatedSettingsNameTheFileAndTheSetting() {
        MoxieException name = assertThrows(MoxieException.class,
                () -> read("devices: {simulated: {gpu(0): 1GiB}}"));
        assertTrue(name.getMessage().contains("'gpu(0)' is not a simulated device name"), name.getMessage());
        MoxieException shape = assertThrows(MoxieException.class, () -> read("devices: {simulated: [sim(0)]}"));
        assertTrue(shape.getMessage().contains("devices.simulated must map device names to capacities"),
                shape.getMessage());
    }
}
