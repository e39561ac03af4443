package io.moxie.encoders.pointcloud.pointbert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import io.moxie.encoders.impl.LinearMap;
import java.util.Arrays;

/**
 * The mini-PointNet of README-octavius §3.2 on every group of a batch: per-point maps with ReLU, the group maximum
 * laid before each point's features (global first), a second per-point stack, the group maximum again. Groups are
 * processed in chunks of at most {@link #MAX_ROWS} points, so that the {@code c3}-wide activations (16 MB at the
 * authors' widths) stay under glibc's largest mmap threshold (32 MB) and their memory is reused from one chunk to the
 * next instead of being mapped and page-faulted afresh. Immutable, hence thread-safe.
 */
final class MiniPointNet {
    static final int MAX_ROWS = 1 << 13;

    private final LinearMap conv1;
    private final LinearMap conv2;
    private final LinearMap conv3Global;
    private final LinearMap conv3Local;
    private final LinearMap conv4;
    private final int groupSize;

    MiniPointNet(MiniPointNetWeights w, int groupSize) {
        this.conv1 = LinearMap.of(w.conv1(), w.conv1Bias());
        this.conv2 = LinearMap.of(w.conv2(), w.conv2Bias());
        this.conv3Global = LinearMap.of(w.conv3Global(), w.conv3Bias());
        this.conv3Local = LinearMap.of(w.conv3Local(), null);
        this.conv4 = LinearMap.of(w.conv4(), w.conv4Bias());
        this.groupSize = groupSize;
    }

    /**
     * @param neighbourhoods {@code [groups, K, 3]} row-major, relative to each group's centre
     * @param manager receives the result (intermediates are freed before returning)
     * @return {@code [groups, encoder_dims]} float32
     */
    NDArray forward(float[] neighbourhoods, int groups, NDManager manager) {
        int k = groupSize;
        int perChunk = Math.max(1, MAX_ROWS / k);
        NDList pieces = new NDList();
        for (int from = 0; from < groups; from += perChunk) {
            int count = Math.min(perChunk, groups - from);
            try (NDManager chunk = manager.newSubManager()) {
                float[] slice = Arrays.copyOfRange(neighbourhoods, from * k * 3, (from + count) * k * 3);
                NDArray features = chunk(chunk.create(slice, new Shape(count, k, 3)));
                features.attach(manager);
                pieces.add(features);
            }
        }
        if (pieces.size() == 1) {
            return pieces.get(0);
        }
        NDArray all = NDArrays.concat(pieces, 0);
        pieces.forEach(NDArray::close);
        return all;
    }

    /** {@code x [groups, K, 3]} to {@code [groups, encoder_dims]}, in x's manager. */
    private NDArray chunk(NDArray x) {
        NDArray f = conv2.apply(Activation.relu(conv1.apply(x)));                                 // [g, K, c2]
        NDArray perGroup = conv3Global.apply(f.max(new int[] {1})).expandDims(1);                 // [g, 1, c3]
        NDArray g = Activation.relu(conv3Local.apply(f).addi(perGroup));                          // [g, K, c3]
        return conv4.apply(g).max(new int[] {1});                                                 // [g, enc]
    }
}
