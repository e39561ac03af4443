package io.moxie.kernel.felix;

import java.util.List;

/**
 * A bundle installed in the kernel's OSGi framework, as the admin API shows it.
 *
 * @param id the bundle id
 * @param symbolicName its symbolic name
 * @param version its version
 * @param state {@code INSTALLED}, {@code RESOLVED}, {@code STARTING}, {@code ACTIVE}, {@code STOPPING} or {@code UNINSTALLED}
 * @param location where it was installed from
 * @param components the components it provides, as {@code kind:name}
 */
public record BundleInfo(long id, String symbolicName, String version, String state, String location,
                         List<String> components) {
}
