package io.moxie.decoder;

import ai.djl.ndarray.NDArray;
import io.moxie.api.Routing;
import java.util.List;
import java.util.Map;

/**
 * What one request's generation produced. Arrays belong to the request's manager.
 *
 * @param ids the generated ids, eos or stop sequence included when hit
 * @param promptLength {@code T'}, the spliced prompt length
 * @param prefillLogits logits of every prompt row {@code [T', vocab]} when intermediates are kept, else of the last
 *                      row only {@code [1, vocab]}
 * @param stepLogits the logits {@code [vocab]} that chose each id (empty unless intermediates are kept)
 * @param hiddenLast the residual stream of the last prompt row after each layer {@code [d]} (empty unless
 *                   intermediates are kept)
 * @param prefillRouting the prefill routing of every MoE layer, by layer name, in the order they ran
 */
record Generation(long[] ids, long promptLength, NDArray prefillLogits, List<NDArray> stepLogits,
                  List<NDArray> hiddenLast, Map<String, Routing> prefillRouting) {
}
