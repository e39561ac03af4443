package io.moxie.decoder;

import io.moxie.blas.BlasLinear;
import io.moxie.blas.GatedSilu;
import io.moxie.blas.OpenBlas;
import io.moxie.blas.SharedMemory;
import io.moxie.blas.Softmax;
import java.nio.FloatBuffer;

/**
 * One decoder layer's decode step (one row, KV cache on the CPU) in plain Java loops and OpenBLAS products: the same
 * arithmetic as {@link DecoderLayer} on DJL, without an engine operation. The DJL path spends most of a decode step
 * on the fixed cost of its thirty-odd small tensor operations per layer (JNI, array bookkeeping), not on arithmetic;
 * here the element-wise work (RMSNorm, RoPE, softmax, residual adds) is a few hundred floats of heap loops and only the
 * products (the projections, and per kv head the scores and the weighted sum over the cache) go to OpenBLAS, on the
 * cache's own memory.
 *
 * <p>Numerics follow the reference: RMSNorm's sum of squares in double (PyTorch's cascaded float sum is closer to it
 * than a naive float sum), everything else in float; scores are {@code (q·k) / sqrt(head_dim)} (the scale as the
 * product's alpha, after the dot product), the softmax's sum in double ({@code Softmax}). Immutable; the caller
 * passes the step's buffers.
 */
final class DecodeLayer {
    private final int layer;
    private final int hidden;
    private final int heads;
    private final int kvHeads;
    private final int headDim;
    private final int intermediate;
    private final float eps;
    private final float scoreScale;
    private final float[] inputNorm;
    private final float[] postAttentionNorm;
    private final BlasLinear qkv;
    private final BlasLinear out;
    private final BlasLinear gateUp;
    private final BlasLinear down;

    DecodeLayer(int layer, DecoderConfig config, float[] inputNorm, float[] postAttentionNorm, BlasLinear qkv,
                BlasLinear out, BlasLinear gateUp, BlasLinear down) {
        this.layer = layer;
        this.hidden = config.hiddenSize();
        this.heads = config.numHeads();
        this.kvHeads = config.numKvHeads();
        this.headDim = config.headDim();
        this.intermediate = down.inputSize();
        this.eps = (float) config.rmsNormEps();
        this.scoreScale = (float) (1 / Math.sqrt(headDim));
        this.inputNorm = inputNorm;
        this.postAttentionNorm = postAttentionNorm;
        this.qkv = qkv;
        this.out = out;
        this.gateUp = gateUp;
        this.down = down;
    }

    /** Advances the residual stream {@code h [d]} of the row at {@code position} through this layer, in place. */
    void step(float[] h, int position, KvCache cache, DecodeStep.Buffers b) {
        normalise(h, inputNorm, b.heapRow(), b.normed());
        attend(position, cache, b);
        addInto(h, b.projected(), b.heapRow());
        normalise(h, postAttentionNorm, b.heapRow(), b.normed());
        gateUp.apply(b.normed(), 1, hidden, 1f, b.gateUp());
        GatedSilu.applyInPlace(b.gateUp(), 0, 1, intermediate);
        down.apply(b.gateUp(), 1, 2 * intermediate, 1f, b.projected());
        addInto(h, b.projected(), b.heapRow());
    }

    /** Self-attention of the normalised row in {@code b.normed()} into {@code b.projected()}. */
    private void attend(int position, KvCache cache, DecodeStep.Buffers b) {
        qkv.apply(b.normed(), 1, hidden, 1f, b.qkv());
        float[] x = b.heapQkv();
        b.qkv().get(0, x, 0, (heads + 2 * kvHeads) * headDim);
        for (int head = 0; head < heads + kvHeads; head++) {
            b.rotation().rotate(x, head * headDim);
        }
        b.qkv().put(0, x, 0, heads * headDim);
        int capacity = cache.capacity();
        FloatBuffer keys = cache.keyMemory(layer);
        FloatBuffer values = cache.valueMemory(layer);
        for (int g = 0; g < kvHeads; g++) {
            long slot = ((long) g * capacity + position) * headDim;
            keys.put(Math.toIntExact(slot), x, (heads + g) * headDim, headDim);
            values.put(Math.toIntExact(slot), x, (heads + kvHeads + g) * headDim, headDim);
        }
        int end = position + 1;
        int group = heads / kvHeads;
        for (int g = 0; g < kvHeads; g++) {
            OpenBlas.gemmNT(group, end, headDim, scoreScale, SharedMemory.at(b.qkv(), (long) g * group * headDim),
                    headDim, SharedMemory.at(keys, (long) g * capacity * headDim), headDim,
                    0f, SharedMemory.at(b.scores(), (long) g * group * end), end);
        }
        softmaxRows(b.scores(), heads, end, b.heapScores());
        for (int g = 0; g < kvHeads; g++) {
            OpenBlas.gemmNN(group, headDim, end, 1f, SharedMemory.at(b.scores(), (long) g * group * end), end,
                    SharedMemory.at(values, (long) g * capacity * headDim), headDim,
                    0f, SharedMemory.at(b.context(), (long) g * group * headDim), headDim);
        }
        out.apply(b.context(), 1, heads * headDim, 1f, b.projected());
    }

    /** {@code to = w ⊙ (h / sqrt(mean(h²) + eps))}, through the heap row {@code heap}. */
    private void normalise(float[] h, float[] w, float[] heap, FloatBuffer to) {
        double squares = 0;
        for (int i = 0; i < hidden; i++) {
            squares += h[i] * h[i];
        }
        float rms = (float) Math.sqrt((float) squares / hidden + eps);
        for (int i = 0; i < hidden; i++) {
            heap[i] = h[i] / rms * w[i];
        }
        to.put(0, heap, 0, hidden);
    }

    private void addInto(float[] h, FloatBuffer y, float[] heap) {
        y.get(0, heap, 0, hidden);
        for (int i = 0; i < hidden; i++) {
            h[i] += heap[i];
        }
    }

    /** Softmax of each of the {@code rows} rows of {@code length} scores, through {@code heap}. */
    private static void softmaxRows(FloatBuffer scores, int rows, int length, float[] heap) {
        int n = rows * length;
        scores.get(0, heap, 0, n);
        Softmax.rowsInPlace(heap, rows, length);
        scores.put(0, heap, 0, n);
    }
}
