package io.moxie.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code moxie serve} on a distribution-shaped home: one line saying where it listens, then a clean stop. */
class ServeCommandTest {

    @Test
    void serveSaysWhereItListensAnswersHealthAndStopsCleanly(@TempDir Path home) throws Exception {
        for (String d : new String[] {"bundles", "plugins", "models", "conf/pipelines", "conf/model-types"}) {
            Files.createDirectories(home.resolve(d));
        }
        String previous = System.getProperty("moxie.home");
        System.setProperty("moxie.home", home.toString());
        try {
            ServeCommand serve = new ServeCommand();
            StringWriter out = new StringWriter();
            CommandLine cl = new CommandLine(serve);
            cl.setOut(new PrintWriter(out, true));
            CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() ->
                    cl.execute("--port", "0", "--metrics-port", "0", "--insecure-admin"));
            Matcher m = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (System.nanoTime() < deadline && !exit.isDone()) {
                m = Pattern.compile("grpc://([0-9.]+:[0-9]+)").matcher(out.toString());
                if (m.find()) {
                    break;
                }
                Thread.sleep(50);
            }
            assertTrue(m != null && m.hitEnd() == false, "printed its address: " + out);
            assertTrue(out.toString().startsWith("moxie: serving 0 pipelines on grpc://127.0.0.1:"), out.toString());
            StringWriter hout = new StringWriter();
            StringWriter herr = new StringWriter();
            int health = Moxie.execute(new String[] {"health", "--target", m.group(1)}, new PrintWriter(hout, true),
                    new PrintWriter(herr, true));
            assertEquals(0, health, herr.toString());
            serve.requestStop();
            assertEquals(0, exit.get(60, TimeUnit.SECONDS));
        } finally {
            if (previous == null) {
                System.clearProperty("moxie.home");
            } else {
                System.setProperty("moxie.home", previous);
            }
        }
    }
}
