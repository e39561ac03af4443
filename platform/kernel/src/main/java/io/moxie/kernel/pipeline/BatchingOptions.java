package io.moxie.kernel.pipeline;

/**
 * Dynamic batching of a pipeline ({@code batching:} in its definition): compatible requests that wait together are
 * run as one batch through every stage, their tokens routed together through the MoE layers.
 *
 * <p>Requests are compatible when they have the same inputs with the same shapes but for the first dimension, the
 * batch. Only inputs declared with a variable first dimension and rank at least 2 batch (one-dimensional inputs are
 * sequences or encoded bytes); a request with any other input runs alone. Each output of a batch must have a first dimension that is a whole number of batch blocks (a plain batch
 * dimension is one block; S² crops in crop-major order are several), so every request gets back exactly its rows.
 *
 * @param maxBatchSize most requests run together
 * @param maxDelayMillis how long the first request of a batch may wait for others
 */
public record BatchingOptions(int maxBatchSize, int maxDelayMillis) {
    public BatchingOptions {
        if (maxBatchSize < 1) {
            throw new IllegalArgumentException("batching.max_batch_size must be >= 1, got " + maxBatchSize);
        }
        if (maxDelayMillis < 0) {
            throw new IllegalArgumentException("batching.max_delay_ms must be >= 0, got " + maxDelayMillis);
        }
    }
}
