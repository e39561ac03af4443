package io.moxie.kernel.pipeline;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ExpertBank;
import io.moxie.api.InvalidInputException;
import io.moxie.api.RequestContext;
import io.moxie.api.Routing;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A layer's experts spread over devices (built by {@link ExpertSpread}): each routed (token, slot) pair goes to the
 * device of its expert as a row of its own, that device's bank computes the expert's output for it there, the outputs
 * come back to the device of the layer's input, and the weighted combine {@code y[t] = Σ_j w[t,j] · out[t,j]} runs
 * there. The same dispatch / compute / combine as expert parallelism's all-to-all, within one process.
 *
 * <p>Each device's bank gets a routing of top-1 with weight 1, so it returns each pair's expert output unscaled; the
 * combine is the one every grouped bank does, so the numbers equal the unspread bank's within float32 round-off.
 * Thread-safe (stateless but for counters).
 */
final class SpreadExpertBank implements ExpertBank {
    private final String layer;
    private final int numExperts;
    private final List<Shard> shards;
    private final int[] shardOf;
    private final int[] localOf;
    private final AtomicLongArray pairs;

    /**
     * One device's share of the layer.
     *
     * @param device the device's name (as leases and {@code moxie devices} show it)
     * @param compute the device the share's tensors live and compute on
     * @param experts the global index of each of the bank's experts
     * @param bank the bank holding those experts, numbered {@code 0..n-1}
     */
    record Shard(String device, Device compute, int[] experts, ExpertBank bank) {
    }

    SpreadExpertBank(String layer, int numExperts, List<Shard> shards) {
        this.layer = layer;
        this.numExperts = numExperts;
        this.shards = List.copyOf(shards);
        this.shardOf = new int[numExperts];
        this.localOf = new int[numExperts];
        for (int s = 0; s < this.shards.size(); s++) {
            int[] experts = this.shards.get(s).experts();
            for (int i = 0; i < experts.length; i++) {
                shardOf[experts[i]] = s;
                localOf[experts[i]] = i;
            }
        }
        this.pairs = new AtomicLongArray(this.shards.size());
    }

    @Override
    public NDArray forward(NDArray x, Routing routing, RequestContext request) {
        if (x.getShape().dimension() != 2 || x.getShape().get(0) != routing.tokens()) {
            throw new InvalidInputException("MoE layer " + layer + ": expert input must be [T, d] for the routing's "
                    + routing.tokens() + " tokens, got " + x.getShape());
        }
        if (routing.numExperts() != numExperts) {
            throw new IllegalArgumentException("MoE layer " + layer + ": routing over " + routing.numExperts()
                    + " experts, but the layer has " + numExperts);
        }
        long tokens = routing.tokens();
        int k = routing.topK();
        // The dispatch plan is made on the host, as expert parallelism exchanges its per-expert counts before the
        // all-to-all: which pairs go to which device, and as which local expert.
        long[] expertOfPair = routing.indices().toLongArray();
        if (expertOfPair.length == 0) { // no tokens: let a bank say what an empty output looks like
            return emptyForward(x, request);
        }
        int[] count = new int[shards.size()];
        for (long e : expertOfPair) {
            if (e < 0 || e >= numExperts) {
                throw new IllegalArgumentException("MoE layer " + layer + ": routed to expert " + e + " of "
                        + numExperts);
            }
            count[shardOf[(int) e]]++;
        }
        long[][] pairOf = new long[shards.size()][];
        long[][] localExpert = new long[shards.size()][];
        for (int s = 0; s < count.length; s++) {
            pairOf[s] = new long[count[s]];
            localExpert[s] = new long[count[s]];
        }
        int[] filled = new int[shards.size()];
        for (int p = 0; p < expertOfPair.length; p++) {
            int e = (int) expertOfPair[p];
            int s = shardOf[e];
            pairOf[s][filled[s]] = p;
            localExpert[s][filled[s]++] = localOf[e];
        }
        try (NDManager scratch = request.manager().newSubManager()) {
            // Borrowed, not taken: the caller's arrays return to their managers when the scratch scope closes.
            x.tempAttach(scratch);
            routing.weights().tempAttach(scratch);
            Device home = x.getDevice();
            NDList outputs = new NDList();
            long[] arrival = new long[expertOfPair.length]; // the pair each output row belongs to
            int arrived = 0;
            for (int s = 0; s < shards.size(); s++) {
                if (count[s] == 0) {
                    continue;
                }
                pairs.addAndGet(s, count[s]);
                outputs.add(runShard(shards.get(s), x, pairOf[s], localExpert[s], k, home, scratch, request));
                System.arraycopy(pairOf[s], 0, arrival, arrived, count[s]);
                arrived += count[s];
            }
            long[] rowOfPair = new long[arrival.length];
            for (int i = 0; i < arrival.length; i++) {
                rowOfPair[(int) arrival[i]] = i;
            }
            NDArray rows = outputs.size() == 1 ? outputs.head() : NDArrays.concat(outputs);
            NDArray y = rows.get(new NDIndex("{}", scratch.create(rowOfPair))).reshape(new Shape(tokens, k, -1))
                    .mul(routing.weights().expandDims(2)).sum(new int[] {1});
            y.attach(request.manager());
            return y;
        }
    }

    /**
     * Runs one device's pairs there: their token rows are copied to the device, its bank computes each pair's expert
     * output, and the result is copied back to {@code home} into {@code scratch}.
     */
    private NDArray runShard(Shard shard, NDArray x, long[] pairOf, long[] localExpert, int k, Device home,
                             NDManager scratch, RequestContext request) {
        long[] tokenOf = new long[pairOf.length];
        for (int i = 0; i < pairOf.length; i++) {
            tokenOf[i] = pairOf[i] / k;
        }
        NDArray rows = x.get(new NDIndex("{}", scratch.create(tokenOf)));
        try (ShardRequest there = new ShardRequest(request, scratch.newSubManager(shard.compute()), shard.device())) {
            NDManager m = there.manager();
            NDArray input = rows.toDevice(shard.compute(), false);
            Routing top1 = new Routing(m.create(localExpert, new Shape(localExpert.length, 1)),
                    m.ones(new Shape(localExpert.length, 1)), shard.bank().numExperts());
            NDArray out = shard.bank().forward(input, top1, there).toDevice(home, false);
            out.attach(scratch); // out of the shard's scope before it closes
            return out;
        }
    }

    private NDArray emptyForward(NDArray x, RequestContext request) {
        Shard first = shards.get(0);
        try (ShardRequest there = new ShardRequest(request, request.manager().newSubManager(first.compute()),
                first.device())) {
            NDManager m = there.manager();
            Routing none = new Routing(m.zeros(new Shape(0, 1), ai.djl.ndarray.types.DataType.INT64),
                    m.zeros(new Shape(0, 1)), first.bank().numExperts());
            NDArray out = first.bank().forward(x.toDevice(first.compute(), false), none, there)
                    .toDevice(x.getDevice(), false);
            out.attach(request.manager());
            return out;
        }
    }

    @Override
    public int numExperts() {
        return numExperts;
    }

    /**
     * The devices' banks' counters summed by name (e.g. offload hits over every device), and {@code pairs_on_DEVICE}:
     * the (token, slot) pairs each device computed.
     */
    @Override
    public Map<String, Long> counters() {
        Map<String, Long> out = new LinkedHashMap<>();
        for (int s = 0; s < shards.size(); s++) {
            out.put("pairs_on_" + shards.get(s).device(), pairs.get(s));
        }
        for (Shard shard : shards) {
            shard.bank().counters().forEach((name, value) -> out.merge(name, value, Long::sum));
        }
        return out;
    }
}
