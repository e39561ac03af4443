package io.moxie.kernel.registry;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Tracks the component factories that are installed, by kind and name, as bundles come and go. Several providers
 * may offer the same name (two versions of a plugin during an update, a user plugin shadowing a built-in one): the
 * preferred one is the highest service ranking, then the newest registration.
 *
 * <p>Thread-safe. Listeners run synchronously on the thread that changed the registry (an OSGi framework thread);
 * they must hand real work to another thread.
 */
public final class ComponentRegistry {
    private final Map<ComponentKind, Map<String, List<Provider>>> providers = new EnumMap<>(ComponentKind.class);
    private final List<RegistryListener> listeners = new CopyOnWriteArrayList<>();
    private final java.util.concurrent.atomic.AtomicLong localIds = new java.util.concurrent.atomic.AtomicLong(Long.MIN_VALUE / 2);

    public ComponentRegistry() {
        for (ComponentKind kind : ComponentKind.values()) {
            providers.put(kind, new TreeMap<>());
        }
    }

    /**
     * Registers a factory directly, without OSGi (embedding, tests). Local registrations rank like OSGi services of
     * ranking 0 but lose to them on ties (their ids are negative); among themselves the newest wins.
     *
     * @return the provider, to {@link #remove} it later
     */
    public Provider register(ComponentKind kind, Object factory, String origin) {
        if (!kind.serviceType().isInstance(factory)) {
            throw new IllegalArgumentException(factory + " is not a " + kind.serviceType().getSimpleName());
        }
        Provider p = new Provider(kind, kind.nameOf(factory), factory, origin, localIds.incrementAndGet(), 0);
        add(p);
        return p;
    }

    /** Adds a provider and notifies listeners. */
    public void add(Provider provider) {
        synchronized (providers) {
            List<Provider> list = providers.get(provider.kind()).computeIfAbsent(provider.name(), n -> new ArrayList<>());
            list.add(provider);
            list.sort(Provider.PREFERRED_FIRST);
        }
        fire(provider.kind(), provider.name());
    }

    /** Removes a provider (matched by kind, name and service id) and notifies listeners. */
    public void remove(Provider provider) {
        boolean removed;
        synchronized (providers) {
            List<Provider> list = providers.get(provider.kind()).get(provider.name());
            removed = list != null && list.removeIf(p -> p.serviceId() == provider.serviceId());
            if (list != null && list.isEmpty()) {
                providers.get(provider.kind()).remove(provider.name());
            }
        }
        if (removed) {
            fire(provider.kind(), provider.name());
        }
    }

    /** Returns the preferred provider of {@code name}, if any is installed. */
    public Optional<Provider> find(ComponentKind kind, String name) {
        synchronized (providers) {
            List<Provider> list = providers.get(kind).get(name);
            return list == null || list.isEmpty() ? Optional.empty() : Optional.of(list.get(0));
        }
    }

    /** Returns every provider of every name of {@code kind}, preferred first within a name. */
    public List<Provider> list(ComponentKind kind) {
        synchronized (providers) {
            List<Provider> out = new ArrayList<>();
            providers.get(kind).values().forEach(out::addAll);
            return out;
        }
    }

    /** Returns every provider of every kind. */
    public List<Provider> all() {
        List<Provider> out = new ArrayList<>();
        for (ComponentKind kind : ComponentKind.values()) {
            out.addAll(list(kind));
        }
        return out;
    }

    /** Registers a listener for provider changes. */
    public void addListener(RegistryListener listener) {
        listeners.add(listener);
    }

    /** Removes a listener. */
    public void removeListener(RegistryListener listener) {
        listeners.remove(listener);
    }

    private void fire(ComponentKind kind, String name) {
        for (RegistryListener l : listeners) {
            l.providersChanged(kind, name);
        }
    }
}
