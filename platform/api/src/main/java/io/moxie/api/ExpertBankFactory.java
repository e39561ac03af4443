package io.moxie.api;

/**
 * Builds {@link ExpertBank}s of one implementation, registered as an OSGi service; pipeline definitions select it
 * by {@link #name()} ({@code experts: grouped-mlp}).
 */
public interface ExpertBankFactory {

    /** Returns the implementation name, e.g. {@code mlp}. */
    String name();

    /**
     * Builds the expert bank of one MoE layer, loading the experts' weights through the context.
     *
     * @throws ModelFormatException if an expert tensor is missing or mis-shaped
     */
    ExpertBank create(ComponentContext context, MoeSpec spec);
}
