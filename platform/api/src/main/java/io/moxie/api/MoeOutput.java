package io.moxie.api;

import ai.djl.ndarray.NDArray;

/**
 * The result of a {@link MoeLayer}: the combined expert output and the routing that produced it.
 *
 * @param output {@code [T, dOut]} float32, attached to the request's manager
 * @param routing the routing of the {@code T} tokens
 */
public record MoeOutput(NDArray output, Routing routing) {
}
