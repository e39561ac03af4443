package io.moxie.kernel.pipeline;

import io.moxie.kernel.model.Model;

/** Finds the model a stage definition names: a model repository name, or a directory path. */
@FunctionalInterface
public interface ModelResolver {

    /**
     * @param reference a repository model name, or a path (absolute, or containing a '/')
     * @throws io.moxie.api.ModelFormatException if there is no such model or it cannot be read
     */
    Model resolve(String reference);
}
