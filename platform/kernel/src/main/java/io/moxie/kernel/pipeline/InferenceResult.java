package io.moxie.kernel.pipeline;

import io.moxie.kernel.tensor.HostTensor;
import java.util.Map;

/**
 * The answer to one request: the outputs, and which compiled version computed all of them.
 *
 * @param pipeline the pipeline's name
 * @param version the compiled version that served the request (every output comes from this one version)
 * @param outputs the outputs by name, in the order the definition declares them
 * @param routing when traced: per MoE layer, {@code <layer>/indices} [T, k] int64 and {@code <layer>/weights}
 *                [T, k] float32, in the order the layers ran
 */
public record InferenceResult(String pipeline, VersionInfo version, Map<String, HostTensor> outputs,
                              Map<String, HostTensor> routing) {
}
