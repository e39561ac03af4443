package io.moxie.kernel.registry;

import java.util.Comparator;

/**
 * One registered factory: what it builds, who provides it, and its precedence among providers of the same name.
 *
 * @param kind the component kind
 * @param name the name pipelines select it by
 * @param factory the factory service object
 * @param origin who provides it, e.g. {@code io.moxie.router-plugin 0.1.0} (bundle symbolic name and version)
 * @param serviceId the OSGi service id (or a sequence number for in-process registrations); newer is larger
 * @param ranking the service ranking; higher wins
 */
public record Provider(ComponentKind kind, String name, Object factory, String origin, long serviceId, int ranking) {

    /** Orders providers so that the preferred one comes first: highest ranking, then newest. */
    static final Comparator<Provider> PREFERRED_FIRST = Comparator.comparingInt(Provider::ranking).reversed()
            .thenComparing(Comparator.comparingLong(Provider::serviceId).reversed());

    /** Returns the factory cast to its service type. */
    public <T> T factoryAs(Class<T> type) {
        return type.cast(factory);
    }

    /** Returns {@code name (origin, service N)} for messages and the admin API. */
    public String describe() {
        return name + " (" + origin + ", service " + serviceId + ")";
    }
}
