package io.moxie.kernel.registry;

import io.moxie.api.ExpertBankFactory;
import io.moxie.api.RouterFactory;
import io.moxie.api.StageFactory;

/** The kinds of component factories plugins register, with the service interface of each. */
public enum ComponentKind {
    STAGE(StageFactory.class, "stage"),
    ROUTER(RouterFactory.class, "router"),
    EXPERTS(ExpertBankFactory.class, "expert bank");

    private final Class<?> serviceType;
    private final String label;

    ComponentKind(Class<?> serviceType, String label) {
        this.serviceType = serviceType;
        this.label = label;
    }

    /** Returns the OSGi service interface factories of this kind register under. */
    public Class<?> serviceType() {
        return serviceType;
    }

    /** Returns a human-readable name for messages ("router", "expert bank", "stage"). */
    public String label() {
        return label;
    }

    /** Returns the name a factory of this kind answers to. */
    public String nameOf(Object factory) {
        return switch (this) {
            case STAGE -> ((StageFactory) factory).kind();
            case ROUTER -> ((RouterFactory) factory).name();
            case EXPERTS -> ((ExpertBankFactory) factory).name();
        };
    }
}
