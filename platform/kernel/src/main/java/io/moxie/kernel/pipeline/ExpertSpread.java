package io.moxie.kernel.pipeline;

import ai.djl.Device;
import io.moxie.api.ComponentContext;
import io.moxie.api.ExpertBank;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.MoeSpec;
import io.moxie.api.ParameterStore;
import io.moxie.kernel.device.DeviceManager;
import io.moxie.kernel.device.Lease;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The placement policy {@code placement: {experts: spread, devices: [...]}} of one stage: for each MoE layer, assigns
 * every expert to one of the devices, leases each device's share of the expert bytes there before anything is
 * loaded, and builds one expert bank per device (of the implementation the pipeline chose) holding only that
 * device's experts. The resulting {@link SpreadExpertBank} sends each expert's tokens to its device.
 *
 * <p>This is expert parallelism as DeepSpeed-MoE and vLLM do it within one process: the expert implementation is
 * unchanged, only which experts a bank holds and where. Because it wraps whatever {@link ExpertBankFactory} the
 * definition names, swapping the router or the expert bank keeps the placement.
 */
final class ExpertSpread {
    private final DeviceManager devices;
    private final List<Device> targets;
    private final ParameterStore checkpoint;
    private final String owner;
    private final Consumer<Lease> leases;

    /**
     * @param devices the accounts to lease on
     * @param targets the devices to spread over, in the order the definition lists them
     * @param checkpoint the model's weights, not leased: the spread leases each device's share itself
     * @param owner the stage, as lease owners name it
     * @param leases receives every lease opened, as soon as it is opened (the built stage owns and closes them)
     */
    ExpertSpread(DeviceManager devices, List<Device> targets, ParameterStore checkpoint, String owner,
                 Consumer<Lease> leases) {
        this.devices = devices;
        this.targets = List.copyOf(targets);
        this.checkpoint = checkpoint;
        this.owner = owner;
        this.leases = leases;
    }

    /**
     * Builds a layer's experts spread over the devices.
     *
     * @param stage the stage's context (configuration; its memory scope owns the shards' scopes)
     * @throws io.moxie.kernel.device.ResourceExhaustedException if a device's share does not fit: nothing of the
     *     layer's experts is allocated then
     */
    ExpertBank build(ComponentContext stage, ExpertBankFactory factory, MoeSpec spec) {
        for (Map.Entry<String, String> role : spec.expertKeys().entrySet()) {
            if (!role.getValue().contains("{e}")) {
                throw new PipelineDefinitionException("MoE layer " + spec.layer() + ": placement 'experts: spread' "
                        + "needs one tensor per expert, but '" + role.getKey() + "' (" + role.getValue()
                        + ") holds every expert");
            }
        }
        int[] deviceOf = assign(expertBytes(spec));
        List<List<Integer>> experts = new ArrayList<>();
        targets.forEach(d -> experts.add(new ArrayList<>()));
        for (int e = 0; e < deviceOf.length; e++) {
            experts.get(deviceOf[e]).add(e);
        }
        // lease every device's share before loading anything, so a layer that does not fit allocates nothing
        for (int d = 0; d < targets.size(); d++) {
            if (!experts.get(d).isEmpty()) {
                Lease lease = devices.lease(targets.get(d), owner + ": experts " + experts.get(d) + " of MoE layer "
                        + spec.layer());
                leases.accept(lease);
                lease.reserve(shareBytes(spec, experts.get(d)), "their weights");
            }
        }
        List<SpreadExpertBank.Shard> shards = new ArrayList<>();
        for (int d = 0; d < targets.size(); d++) {
            List<Integer> mine = experts.get(d);
            if (mine.isEmpty()) {
                continue;
            }
            Device device = targets.get(d);
            Device compute = devices.computeDevice(device);
            int[] global = mine.stream().mapToInt(Integer::intValue).toArray();
            Map<String, String> keys = new LinkedHashMap<>();
            spec.expertKeys().keySet().forEach(role -> keys.put(role, ShardParameterStore.template(role)));
            MoeSpec shardSpec = new MoeSpec(spec.layer() + "@" + device, spec.gateKey(), global.length, 1, keys,
                    spec.options());
            ShardContext context = ShardContext.of(stage, new ShardParameterStore(checkpoint, spec, global),
                    stage.manager().newSubManager(compute), compute);
            ExpertBank bank = factory.create(context, shardSpec);
            if (bank.numExperts() != global.length) {
                throw new IllegalStateException("MoE layer " + spec.layer() + ": the expert bank built for " + device
                        + " has " + bank.numExperts() + " experts, not " + global.length);
            }
            shards.add(new SpreadExpertBank.Shard(device.toString(), compute, global, bank));
        }
        return new SpreadExpertBank(spec.layer(), spec.numExperts(), shards);
    }

    /** The bytes loading each expert allocates, from the checkpoint's headers alone. */
    private long[] expertBytes(MoeSpec spec) {
        long[] bytes = new long[spec.numExperts()];
        for (int e = 0; e < bytes.length; e++) {
            bytes[e] = shareBytes(spec, List.of(e));
        }
        return bytes;
    }

    private long shareBytes(MoeSpec spec, List<Integer> experts) {
        Set<String> keys = new LinkedHashSet<>();
        for (int e : experts) {
            spec.expertKeys().keySet().forEach(role -> keys.add(spec.expertKey(role, e)));
        }
        long total = 0;
        for (String key : keys) {
            // a missing key is the expert bank's to report (it names the key); it allocates nothing
            if (checkpoint.contains(key)) {
                total += LeasedParameterStore.allocatedBytes(checkpoint, key);
            }
        }
        return total;
    }

    /**
     * Balances bytes over the devices, largest expert first: each goes to the device with the fewest bytes assigned
     * among those where it still fits (ties: the first listed). If it fits nowhere it goes where the most room is
     * left, and the lease refuses it there, naming that device.
     *
     * @return the index into the target devices of each expert
     */
    int[] assign(long[] bytes) {
        long[] free = new long[targets.size()];
        for (int d = 0; d < free.length; d++) {
            free[d] = devices.freeBytes(targets.get(d));
        }
        long[] assigned = new long[free.length];
        Integer[] order = new Integer[bytes.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> Long.compare(bytes[b], bytes[a])); // stable: equal experts keep index order
        int[] deviceOf = new int[bytes.length];
        for (int e : order) {
            int best = -1;
            for (int d = 0; d < free.length; d++) {
                if (assigned[d] + bytes[e] <= free[d] && (best < 0 || assigned[d] < assigned[best])) {
                    best = d;
                }
            }
            if (best < 0) {
                best = 0;
                for (int d = 1; d < free.length; d++) {
                    if (free[d] - assigned[d] > free[best] - assigned[best]) {
                        best = d;
                    }
                }
            }
            deviceOf[e] = best;
            assigned[best] += bytes[e];
        }
        return deviceOf;
    }
}
