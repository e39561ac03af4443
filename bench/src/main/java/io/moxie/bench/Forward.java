package io.moxie.bench;

import ai.djl.ndarray.NDArray;
import io.moxie.api.RequestContext;

/** What a benchmark times: an input and a request in, an output (in the request's scope) out. */
@FunctionalInterface
interface Forward {
    NDArray apply(NDArray x, RequestContext request);
}
