package io.moxie.cli;

import io.moxie.gateway.proto.moxie.DeviceInfo;
import io.moxie.gateway.proto.moxie.LayerCounters;
import io.moxie.gateway.proto.moxie.ListDevicesRequest;
import io.moxie.gateway.proto.moxie.ListDevicesResponse;
import java.io.PrintWriter;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code moxie devices}: each device with its capacity and leases, the queues, and the expert banks' counters. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = "Show devices with their leases, queue depths and expert-bank counters (offloading).")
final class DevicesCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    RemoteOptions remote;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        ListDevicesResponse r;
        try (Remote server = remote.connect()) {
            r = server.call(() -> server.moxie().listDevices(ListDevicesRequest.getDefaultInstance()));
        }
        for (DeviceInfo d : r.getDevicesList()) {
            out.printf("%s: %s leased of %s%n", d.getName(), mib(d.getLeasedBytes()), mib(d.getCapacityBytes()));
            new TreeMap<>(d.getLeasesMap()).forEach((owner, bytes) -> out.printf("  %10s  %s%n", mib(bytes), owner));
        }
        if (!r.getQueueDepthsMap().isEmpty()) {
            out.println("queues:");
            new TreeMap<>(r.getQueueDepthsMap()).forEach((p, n) -> out.printf("  %s: %d waiting%n", p, n));
        }
        for (LayerCounters l : r.getLayersList()) {
            out.printf("%s %s:", l.getPipeline(), l.getLayer());
            for (Map.Entry<String, Long> c : new TreeMap<>(l.getCountersMap()).entrySet()) {
                out.printf(" %s=%d", c.getKey(), c.getValue());
            }
            out.println();
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static String mib(long bytes) {
        return String.format("%.1f MiB", bytes / 1048576.0);
    }
}
