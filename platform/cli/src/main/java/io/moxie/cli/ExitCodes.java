package io.moxie.cli;

import io.moxie.api.InvalidInputException;
import io.moxie.kernel.pipeline.PipelineDefinitionException;

/** Maps failures to exit codes and one-line messages: 2 for the caller's mistakes, 1 for everything else. */
final class ExitCodes {
    static final int OK = 0;
    static final int FAILURE = 1;
    static final int USAGE = 2;

    private ExitCodes() {
    }

    static int of(Throwable t) {
        Throwable c = root(t);
        return c instanceof InvalidInputException || c instanceof PipelineDefinitionException
                || c instanceof UsageException ? USAGE : FAILURE;
    }

    static String message(Throwable t) {
        Throwable c = root(t);
        String m = c.getMessage();
        if (m == null || m.isBlank()) {
            m = c.getClass().getSimpleName();
        }
        int nl = m.indexOf('\n');
        return nl < 0 ? m : m.substring(0, nl);
    }

    private static Throwable root(Throwable t) {
        Throwable c = t;
        while ((c instanceof java.util.concurrent.ExecutionException
                || c instanceof java.util.concurrent.CompletionException) && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    /** A command was used wrongly in a way picocli cannot see (a file that does not exist, a bad NAME=FILE). */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
