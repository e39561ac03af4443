package io.moxie.kernel.pipeline;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.moxie.api.MoeLayer;
import io.moxie.api.Stage;
import io.moxie.kernel.device.Lease;
import io.moxie.kernel.registry.Provider;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A built stage with everything it owns: its memory scope (its weights), its device leases (the stage's, and one per
 * device its experts are spread over), the providers it was
 * built from and its MoE layers. Shared by every compiled version, of any pipeline, whose stage has the same
 * identity (see {@link StageCache}); closed when the last of them releases it.
 */
final class BuiltStage {
    private static final Logger LOG = LoggerFactory.getLogger(BuiltStage.class);

    final String key;
    final Stage stage;
    final NDManager manager;
    final List<Lease> leases;
    final Map<String, Provider> providers;
    final List<MoeLayer> moeLayers;
    final Device device;
    int references; // guarded by the StageCache

    BuiltStage(String key, Stage stage, NDManager manager, List<Lease> leases, Map<String, Provider> providers,
               List<MoeLayer> moeLayers, Device device) {
        this.key = key;
        this.stage = stage;
        this.manager = manager;
        this.leases = List.copyOf(leases);
        this.providers = Map.copyOf(providers);
        this.moeLayers = List.copyOf(moeLayers);
        this.device = device;
    }

    void close() {
        try {
            stage.close();
        } catch (RuntimeException e) {
            LOG.warn("closing stage {} failed: {}", key, e.toString());
        }
        manager.close();
        leases.forEach(Lease::close);
    }
}
