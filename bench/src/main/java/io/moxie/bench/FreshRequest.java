package io.moxie.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.moxie.testkit.TestRequest;
import java.util.function.Function;

/**
 * Calls made as a request makes them: each in a request of its own under the caller's scope, freed with all the call
 * allocated as soon as it returns, so that one call's memory is not charged to the next.
 */
final class FreshRequest {
    private FreshRequest() {
    }

    /** Runs {@code call} in a new request and returns its result, which must not live in the request's scope. */
    static <T> T call(NDManager scope, Function<TestRequest, T> call) {
        try (TestRequest request = new TestRequest(scope)) {
            return call.apply(request);
        }
    }

    /**
     * One timed call: the request borrows {@code x} for the call; the output's first element is read back, so the
     * work an engine defers is done before the call counts as over.
     */
    static void timed(NDManager scope, NDArray x, Forward forward) {
        call(scope, request -> {
            x.tempAttach(request.manager());
            NDArray y = forward.apply(x, request);
            return y.getFloat(new long[y.getShape().dimension()]);
        });
    }

    /** The output's values, as {@link #timed} computes them. */
    static float[] values(NDManager scope, NDArray x, Forward forward) {
        return call(scope, request -> {
            x.tempAttach(request.manager());
            return forward.apply(x, request).toFloatArray();
        });
    }
}
