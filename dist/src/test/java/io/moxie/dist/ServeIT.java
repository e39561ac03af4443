package io.moxie.dist;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moxie.kernel.io.Npz;
import io.moxie.kernel.tensor.HostTensor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution as a user runs it: {@code bin/moxie serve} as its own process with the built bundles and the
 * demo models, driven by {@code bin/moxie} clients over loopback gRPC, stopped with SIGTERM.
 */
class ServeIT {
    private static final Path HOME = Path.of(System.getProperty("moxie.home", "target/moxie")).toAbsolutePath();
    private static final Pattern LISTENING = Pattern.compile("on grpc://([0-9.]+:[0-9]+)");

    @TempDir
    Path work;
    private Process server;
    private String target;
    private final List<String> serverOutput = java.util.Collections.synchronizedList(new ArrayList<>());
    private Thread reader;

    @BeforeEach
    void serve() throws Exception {
        Path token = work.resolve("token");
        Files.writeString(token, "s3cret-token\n");
        server = new ProcessBuilder(HOME.resolve("bin/moxie").toString(), "serve", "--port", "0", "--metrics-port", "0",
                "--token-file", token.toString()).redirectErrorStream(true).start();
        CompletableFuture<String> address = new CompletableFuture<>();
        reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    serverOutput.add(line);
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        address.complete(m.group(1));
                    }
                }
            } catch (IOException e) {
                address.completeExceptionally(e);
            }
            address.completeExceptionally(new IllegalStateException("server exited: " + serverOutput));
        });
        reader.setDaemon(true);
        reader.start();
        target = address.get(120, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        if (server.isAlive()) {
            server.destroyForcibly();
        }
    }

    private Result moxie(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(HOME.resolve("bin/moxie").toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "moxie " + String.join(" ", args) + " did not finish");
        return new Result(p.exitValue(), out);
    }

    private record Result(int code, String output) {
    }

    @Test
    void theDemoModelsAnswerOverGrpcLikeInProcessAndSigtermDrainsCleanly() throws Exception {
        Result health = moxie("health", "--target", target);
        assertEquals(0, health.code(), health.output());

        Path remote = work.resolve("remote.npz");
        Path local = work.resolve("local.npz");
        String input = HOME.resolve("examples/cumo-tiny-pixels.npz").toString();
        Result r = moxie("infer", "--target", target, "--pipeline", "cumo-tiny", "--input", input, "--output", remote.toString());
        assertEquals(0, r.code(), r.output());
        Result l = moxie("infer", "--local", "--model", HOME.resolve("models/cumo-tiny").toString(), "--input", input,
                "--output", local.toString());
        assertEquals(0, l.code(), l.output());
        Map<String, HostTensor> a = Npz.read(remote);
        Map<String, HostTensor> b = Npz.read(local);
        assertEquals(b.keySet(), a.keySet());
        for (String key : a.keySet()) {
            assertArrayEquals(b.get(key).toByteArray(), a.get(key).toByteArray(), key + " differs between gRPC and --local");
        }

        // one Octavius model directory: the image chat (its default pipeline) and the scene chat share one decoder
        Result devices = moxie("devices", "--target", target);
        assertEquals(0, devices.code(), devices.output());
        assertEquals(1, devices.output().lines().filter(line -> line.contains("(llm) of pipeline 'octavius-tiny"))
                .count(), "one decoder built for both Octavius chats: " + devices.output());
        for (String[] chat : new String[][] {{"octavius-tiny", "octavius-tiny-image"},
                {"octavius-tiny-scene", "octavius-tiny-scene"}}) {
            Path answer = work.resolve(chat[1] + ".npz");
            Result chatted = moxie("infer", "--target", target, "--pipeline", chat[0], "--input",
                    HOME.resolve("examples/" + chat[1] + ".npz").toString(), "--output", answer.toString());
            assertEquals(0, chatted.code(), chatted.output());
            assertArrayEquals(Npz.read(HOME.resolve("examples/" + chat[1] + ".expected.npz")).get("generated_ids")
                    .toLongArray(), Npz.read(answer).get("generated_ids").toLongArray(), chat[1]);
        }

        Result noToken = moxie("swap", "--target", target, "--pipeline", "cumo-connector", "--stage", "connector",
                "--router", "hash");
        assertEquals(1, noToken.code(), noToken.output());
        assertTrue(noToken.output().contains("UNAUTHENTICATED"), noToken.output());
        Result swap = moxie("swap", "--target", target, "--token-file", work.resolve("token").toString(),
                "--pipeline", "cumo-connector", "--stage", "connector", "--router", "hash");
        assertEquals(0, swap.code(), swap.output());

        // the model type lists [grouped-mlp-blas, grouped-mlp]: on this CPU the OpenBLAS bank, inside real Felix (the
        // bundles' io.moxie.blas imports wired to the host's module), serves the answers above
        Result shown = moxie("pipelines", "show", "--target", target, "cumo-tiny");
        assertEquals(0, shown.code(), shown.output());
        assertTrue(shown.output().contains("experts grouped-mlp-blas (")
                && shown.output().contains("chosen from [grouped-mlp-blas, grouped-mlp]"), shown.output());
        // a swap names one bank, replacing the list: the DJL bank computes the same numbers within round-off
        Result djl = moxie("swap", "--target", target, "--token-file", work.resolve("token").toString(),
                "--pipeline", "cumo-tiny", "--stage", "tower", "--experts", "grouped-mlp");
        assertEquals(0, djl.code(), djl.output());
        Result reshown = moxie("pipelines", "show", "--target", target, "cumo-tiny");
        assertTrue(reshown.output().contains("experts grouped-mlp (")
                && reshown.output().contains("experts grouped-mlp-blas ("), "tower swapped, connector kept: "
                + reshown.output());
        Path swapped = work.resolve("djl.npz");
        Result onDjl = moxie("infer", "--target", target, "--pipeline", "cumo-tiny", "--input", input, "--output",
                swapped.toString());
        assertEquals(0, onDjl.code(), onDjl.output());
        float[] expected = a.get("vision_features").toFloatArray();
        float[] actual = Npz.read(swapped).get("vision_features").toFloatArray();
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertTrue(Math.abs(expected[i] - actual[i]) <= 1e-3f * Math.max(1f, Math.abs(expected[i])),
                    "vision_features[" + i + "] on grouped-mlp: " + actual[i] + ", on grouped-mlp-blas: " + expected[i]);
        }

        Result bad = moxie("infer", "--target", target, "--pipeline", "nope", "--input", input, "--output",
                work.resolve("x.npz").toString());
        assertEquals(1, bad.code());
        assertTrue(bad.output().contains("NOT_FOUND"), bad.output());

        // SIGTERM, as an operator sends it (Process.destroy would also close our end of its output pipe)
        assertEquals(0, new ProcessBuilder("kill", "-TERM", Long.toString(server.pid())).start().waitFor());
        assertTrue(server.waitFor(60, TimeUnit.SECONDS), "serve exits after SIGTERM");
        reader.join(10_000); // the last lines may still be in the pipe
        assertTrue(serverOutput.stream().anyMatch(line -> line.contains("draining")),
                "exit " + server.exitValue() + ": " + serverOutput);
        // 143 = terminated by SIGTERM, after the shutdown hook drained and closed everything
        assertTrue(server.exitValue() == 0 || server.exitValue() == 143, "exit " + server.exitValue() + " " + serverOutput);
    }
}
