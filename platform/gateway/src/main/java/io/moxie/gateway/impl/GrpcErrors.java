package io.moxie.gateway.impl;

import io.moxie.api.InvalidInputException;
import io.moxie.api.MoxieException;
import io.moxie.kernel.pipeline.PipelineDefinitionException;
import io.moxie.kernel.device.ResourceExhaustedException;
import io.moxie.kernel.pipeline.CancelledException;
import io.moxie.kernel.pipeline.DeadlineExceededException;
import io.moxie.kernel.pipeline.PipelineEngine;
import io.moxie.kernel.pipeline.PipelineUnavailableException;
import io.moxie.kernel.pipeline.UnknownPipelineException;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.StatusException;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps kernel failures to gRPC statuses in one place, with a one-line message naming what was wrong. */
public final class GrpcErrors {
    private static final Logger LOG = LoggerFactory.getLogger(GrpcErrors.class);

    private GrpcErrors() {
    }

    /** A failure with a chosen status. */
    public static StatusException status(GrpcStatus status, String message) {
        return new StatusException(status, message);
    }

    /**
     * Converts a failure into the status the client should see.
     *
     * @param failure what went wrong (completion wrappers are unwrapped)
     * @param fallback the status for a {@link MoxieException} that names no more specific cause (e.g.
     *                 {@code FAILED_PRECONDITION} for admin calls, {@code INTERNAL} for inference)
     */
    public static StatusException toStatus(Throwable failure, GrpcStatus fallback) {
        Throwable t = failure instanceof StatusException ? failure : PipelineEngine.unwrap(failure);
        if (t instanceof StatusException s) {
            return s;
        }
        GrpcStatus status;
        if (t instanceof UnknownPipelineException) {
            status = GrpcStatus.NOT_FOUND;
        } else if (t instanceof PipelineUnavailableException) {
            status = GrpcStatus.UNAVAILABLE;
        } else if (t instanceof InvalidInputException || t instanceof PipelineDefinitionException
                || t instanceof IllegalArgumentException) {
            status = GrpcStatus.INVALID_ARGUMENT;
        } else if (t instanceof RejectedExecutionException || t instanceof ResourceExhaustedException) {
            status = GrpcStatus.RESOURCE_EXHAUSTED;
        } else if (t instanceof DeadlineExceededException) {
            status = GrpcStatus.DEADLINE_EXCEEDED;
        } else if (t instanceof CancelledException) {
            status = GrpcStatus.CANCELLED;
        } else if (t instanceof MoxieException) {
            status = fallback;
        } else {
            // a bug or an environment failure, not the caller's: keep the stack trace for the operator
            LOG.error("unexpected failure serving a call", t);
            status = GrpcStatus.INTERNAL;
        }
        return new StatusException(status, oneLine(t));
    }

    private static String oneLine(Throwable t) {
        String m = t.getMessage();
        if (m == null || m.isBlank()) {
            m = t.getClass().getSimpleName();
        }
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }
}
