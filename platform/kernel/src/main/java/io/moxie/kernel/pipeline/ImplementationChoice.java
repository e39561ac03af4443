package io.moxie.kernel.pipeline;

import ai.djl.Device;
import io.moxie.api.ExpertBankFactory;
import io.moxie.api.MoxieException;
import io.moxie.kernel.registry.ComponentKind;
import io.moxie.kernel.registry.ComponentRegistry;
import io.moxie.kernel.registry.Provider;
import java.util.ArrayList;
import java.util.List;

/**
 * The router or expert bank implementation one stage runs, picked from its definition's preference list, the way a
 * serving system picks a kernel backend per device: the first entry that is installed and, when the list offers
 * alternatives, whose factory supports every device the stage builds it on ({@link ExpertBankFactory#supports};
 * routers run anywhere). An implementation named alone is not second-guessed: it is built, and reports itself why it
 * cannot run.
 *
 * <p>Nothing fails here: a stage whose model turns out dense never builds a MoE layer, so it needs none of them (as
 * with a single name that is not installed). {@link #require} fails for the stages that do.
 *
 * @param kind router or expert bank
 * @param listed the definition's list, empty when the stage names none
 * @param chosen the provider of the entry picked, or null when none is usable
 * @param refusal why none is usable, naming every entry, or null when one is chosen
 */
record ImplementationChoice(ComponentKind kind, List<String> listed, Provider chosen, String refusal) {

    /**
     * @param devices the devices the stage would build the implementation on (the stage's compute device, or every
     *                device its experts are spread over)
     */
    static ImplementationChoice choose(ComponentRegistry registry, ComponentKind kind, List<String> listed,
                                       List<Device> devices) {
        if (listed.isEmpty()) {
            return new ImplementationChoice(kind, listed, null, null);
        }
        List<String> reasons = new ArrayList<>();
        for (String name : listed) {
            Provider p = registry.find(kind, name).orElse(null);
            if (p == null) {
                reasons.add("'" + name + "' is not installed");
                continue;
            }
            String unsupported = listed.size() == 1 ? null : unsupported(p, devices);
            if (unsupported != null) {
                reasons.add("'" + name + "'" + unsupported);
                continue;
            }
            return new ImplementationChoice(kind, listed, p, null);
        }
        String installed = " (installed: " + registry.list(kind).stream().map(Provider::name).distinct().toList() + ")";
        String refusal = listed.size() == 1
                ? "no " + kind.label() + " named '" + listed.get(0) + "' is installed" + installed
                : "none of the " + kind.label() + "s " + listed + " can serve: " + String.join(", ", reasons) + installed;
        return new ImplementationChoice(kind, listed, null, refusal);
    }

    /**
     * Returns why the provider cannot serve on one of the devices (the text after its quoted name), or null if it
     * can. A plugin's {@code supports} that throws counts as "no": the choice runs on the swap thread, where an
     * exception would end the reconcile without a word and leave the pipeline as it was.
     */
    private static String unsupported(Provider p, List<Device> devices) {
        if (p.kind() != ComponentKind.EXPERTS) {
            return null;
        }
        ExpertBankFactory factory = p.factoryAs(ExpertBankFactory.class);
        for (Device d : devices) {
            try {
                if (!factory.supports(d)) {
                    return " does not run on " + d;
                }
            } catch (RuntimeException e) {
                return ": supports() failed: " + e.getMessage();
            }
        }
        return null;
    }

    /**
     * Returns the chosen provider.
     *
     * @throws MoxieException naming every listed implementation and why it cannot serve, if none can
     */
    Provider require(String where) {
        if (chosen == null) {
            throw new MoxieException(where + ": " + refusal);
        }
        return chosen;
    }

    /** Returns the chosen implementation's name, or null. */
    String name() {
        return chosen == null ? null : chosen.name();
    }

    /** Returns whether {@code other} picked the same provider. */
    boolean samePick(ImplementationChoice other) {
        return chosen == null ? other.chosen == null
                : other.chosen != null && chosen.serviceId() == other.chosen.serviceId();
    }

    /** Returns what part of a built stage's identity this choice is: the implementation and its provider. */
    String identity() {
        return chosen == null ? listed + "@none" : chosen.name() + "@" + chosen.serviceId();
    }
}
