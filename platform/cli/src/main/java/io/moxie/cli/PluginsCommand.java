package io.moxie.cli;

import io.moxie.gateway.proto.moxie.InstallPluginRequest;
import io.moxie.gateway.proto.moxie.ListPluginsRequest;
import io.moxie.gateway.proto.moxie.PluginInfo;
import io.moxie.gateway.proto.moxie.UninstallPluginRequest;
import io.moxie.gateway.proto.moxie.UpdatePluginRequest;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code moxie plugins list|install|update|uninstall}: the plugin bundles of a running server. */
@Command(name = "plugins", mixinStandardHelpOptions = true,
        description = "List, install, update or uninstall plugin bundles on a server.")
final class PluginsCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing subcommand: list, install, update or uninstall");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List installed bundles and their components.")
    int list(@Mixin RemoteOptions remote) {
        try (Remote server = remote.connect()) {
            PrintWriter out = spec.commandLine().getOut();
            out.printf("%-4s %-40s %-16s %-10s %s%n", "ID", "BUNDLE", "VERSION", "STATE", "COMPONENTS");
            for (PluginInfo p : server.call(() -> server.moxie().listPlugins(ListPluginsRequest.getDefaultInstance()))
                    .getPluginsList()) {
                out.printf("%-4d %-40s %-16s %-10s %s%n", p.getId(), p.getSymbolicName(), p.getVersion(), p.getState(),
                        String.join(", ", p.getComponentsList()));
            }
            out.flush();
        }
        return ExitCodes.OK;
    }

    @Command(name = "install", mixinStandardHelpOptions = true,
            description = "Install and start a jar from the server's plugins folder or an allow-listed directory.")
    int install(@Mixin RemoteOptions remote,
                @Parameters(paramLabel = "JAR", description = "A file name in the plugins folder, or an absolute path on the server.") String jar) {
        try (Remote server = remote.connect()) {
            print(server.call(() -> server.moxie().installPlugin(InstallPluginRequest.newBuilder().setPath(jar).build())), "installed");
        }
        return ExitCodes.OK;
    }

    @Command(name = "update", mixinStandardHelpOptions = true,
            description = "Update a bundle from a jar (or re-read its own location); pipelines using it hot-swap.")
    int update(@Mixin RemoteOptions remote,
               @Parameters(index = "0", paramLabel = "BUNDLE", description = "Bundle id or symbolic name.") String bundle,
               @Parameters(index = "1", arity = "0..1", paramLabel = "JAR", description = "The new jar (as for install).") String jar) {
        try (Remote server = remote.connect()) {
            UpdatePluginRequest.Builder req = UpdatePluginRequest.newBuilder().setBundle(bundle);
            if (jar != null) {
                req.setPath(jar);
            }
            print(server.call(() -> server.moxie().updatePlugin(req.build())), "updated");
        }
        return ExitCodes.OK;
    }

    @Command(name = "uninstall", mixinStandardHelpOptions = true, description = "Uninstall a bundle.")
    int uninstall(@Mixin RemoteOptions remote,
                  @Parameters(paramLabel = "BUNDLE", description = "Bundle id or symbolic name.") String bundle) {
        try (Remote server = remote.connect()) {
            server.call(() -> server.moxie().uninstallPlugin(UninstallPluginRequest.newBuilder().setBundle(bundle).build()));
            spec.commandLine().getOut().println("uninstalled " + bundle);
            spec.commandLine().getOut().flush();
        }
        return ExitCodes.OK;
    }

    private void print(PluginInfo p, String verb) {
        PrintWriter out = spec.commandLine().getOut();
        out.println(verb + " " + p.getSymbolicName() + " " + p.getVersion() + " [" + p.getId() + "] " + p.getState()
                + (p.getComponentsCount() == 0 ? "" : ": " + String.join(", ", p.getComponentsList())));
        out.flush();
    }
}
