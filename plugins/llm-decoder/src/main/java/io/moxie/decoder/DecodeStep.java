package io.moxie.decoder;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.blas.SharedMemory;
import java.nio.FloatBuffer;

/**
 * The layer stack of a decode step (one row, KV cache, nothing masked) on the CPU: {@link DecodeLayer}s in plain Java
 * and OpenBLAS, with no engine operation between the input row and the output row. Used instead of the DJL layers
 * only where every layer's projections and MLP run on OpenBLAS (dense, CPU); prefill, GPUs and MoE layers keep the
 * DJL path. Immutable, hence thread-safe.
 */
final class DecodeStep {
    private final DecoderConfig config;
    private final DecodeLayer[] layers;
    private final float[] inverseFrequencies;

    /** @param inverseFrequencies RoPE's {@code [head_dim / 2]} frequencies, as {@link Rope} computes them */
    DecodeStep(DecoderConfig config, DecodeLayer[] layers, float[] inverseFrequencies) {
        this.config = config;
        this.layers = layers;
        this.inverseFrequencies = inverseFrequencies;
    }

    /**
     * Runs the layers on {@code row [1, d]} at position {@code pass.start()}, writing its keys and values into the
     * pass's cache; returns the residual stream after the last layer, {@code [1, d]}, in the pass's scope.
     */
    NDArray apply(NDArray row, ForwardPass pass) {
        int position = Math.toIntExact(pass.start());
        if (position >= pass.cache().capacity()) {
            // the layers write in place: past the end they would overwrite the next kv head's keys
            throw new IllegalStateException("KV cache of " + pass.cache().capacity()
                    + " positions cannot hold position " + position);
        }
        float[] h = row.toFloatArray();
        NDManager m = pass.manager();
        int heads = config.numHeads();
        int headDim = config.headDim();
        int qkvWidth = (heads + 2 * config.numKvHeads()) * headDim;
        int intermediate = config.intermediateSize();
        int d = config.hiddenSize();
        int scores = heads * (position + 1);
        // the step's buffers that OpenBLAS reads or writes, freed with the pass's scope
        FloatBuffer[] slices = SharedMemory.slices(m, d, qkvWidth, scores, heads * headDim, d, 2 * intermediate);
        Buffers b = new Buffers(rotation(position), slices[0], slices[1], slices[2], slices[3], slices[4], slices[5],
                new float[Math.max(d, heads * headDim)], new float[qkvWidth], new float[scores]);
        for (DecodeLayer layer : layers) {
            layer.step(h, position, pass.cache(), b);
        }
        return m.create(h, new Shape(1, d));
    }

    /** RoPE's rotation at {@code position}: angles {@code position · inv_freq} in float, as the reference. */
    private Rotation rotation(int position) {
        int half = inverseFrequencies.length;
        float[] cos = new float[half];
        float[] sin = new float[half];
        for (int j = 0; j < half; j++) {
            float angle = (float) position * inverseFrequencies[j];
            cos[j] = (float) Math.cos(angle);
            sin[j] = (float) Math.sin(angle);
        }
        return new Rotation(cos, sin);
    }

    /** RoPE at one position, rotate-half pairs {@code (j, j + head_dim/2)}: {@code x' = x cos + rotate_half(x) sin}. */
    record Rotation(float[] cos, float[] sin) {
        /** Rotates the head of {@code x} that starts at {@code offset}, in place. */
        void rotate(float[] x, int offset) {
            int half = cos.length;
            for (int j = 0; j < half; j++) {
                float a = x[offset + j];
                float b = x[offset + j + half];
                x[offset + j] = a * cos[j] - b * sin[j];
                x[offset + j + half] = b * cos[j] + a * sin[j];
            }
        }
    }

    /**
     * One step's buffers, shared by its layers one after the other: views of engine memory for OpenBLAS, heap arrays
     * for the loops.
     */
    record Buffers(Rotation rotation, FloatBuffer normed, FloatBuffer qkv, FloatBuffer scores, FloatBuffer context,
                   FloatBuffer projected, FloatBuffer gateUp, float[] heapRow, float[] heapQkv, float[] heapScores) {
    }
}
