package io.moxie.api;

/**
 * Builds {@link Stage}s of one kind. Plugins register implementations as OSGi services (Declarative Services
 * components); the kernel finds them by {@link #kind()}, the name pipeline definitions use in {@code kind:}.
 */
public interface StageFactory {

    /** Returns the stage kind, e.g. {@code mlp-moe-connector}. */
    String kind();

    /**
     * Builds a stage. Loads and validates its weights now, so a bad checkpoint fails the build and not a request.
     *
     * @throws ModelFormatException if weights are missing or mis-shaped
     * @throws MoxieException if the configuration is invalid
     */
    Stage create(ComponentContext context);
}
