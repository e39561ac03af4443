package io.moxie.api;

/**
 * Builds {@link Router}s of one implementation, registered as an OSGi service; pipeline definitions select it by
 * {@link #name()} ({@code router: topk}).
 */
public interface RouterFactory {

    /** Returns the implementation name, e.g. {@code topk}. */
    String name();

    /**
     * Builds a router for one MoE layer, loading its weights (the gate, if it has one) through the context.
     *
     * @throws ModelFormatException if the gate is missing or mis-shaped
     */
    Router create(ComponentContext context, MoeSpec spec);
}
