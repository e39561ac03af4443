package io.moxie.kernel.registry;

/** Told when the set of providers for a (kind, name) changes. Called on the thread that changed the registry. */
@FunctionalInterface
public interface RegistryListener {

    /**
     * @param kind the kind that changed
     * @param name the name whose providers changed
     */
    void providersChanged(ComponentKind kind, String name);
}
