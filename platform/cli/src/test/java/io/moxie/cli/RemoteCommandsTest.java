package io.moxie.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.moxie.gateway.testing.GatewayFixture;
import io.moxie.gateway.testing.TestBundles;
import io.moxie.gateway.testing.TestPipelines;
import io.moxie.kernel.io.Npy;
import io.moxie.kernel.io.Npz;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.pipeline.InferenceResult;
import io.moxie.kernel.tensor.HostTensor;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The remote commands against a real gateway on loopback, through {@link Moxie#execute} with captured output. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RemoteCommandsTest {
    private Path home;
    private Path work;
    private GatewayFixture fx;
    private String target;
    private Path tokenFile;

    record Result(int code, String out, String err) {
    }

    @BeforeAll
    void start(@TempDir Path dir) throws Exception {
        home = dir.resolve("home");
        work = Files.createDirectories(dir.resolve("work"));
        fx = GatewayFixture.start(home, GatewayFixture.options(), TestPipelines.standard());
        target = "127.0.0.1:" + fx.gateway.port();
        tokenFile = Files.writeString(work.resolve("token"), GatewayFixture.TOKEN + "\n");
    }

    @AfterAll
    void stop() throws Exception {
        fx.close();
    }

    private Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Moxie.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    private Result admin(String... args) {
        String[] all = new String[args.length + 4];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--target";
        all[args.length + 1] = target;
        all[args.length + 2] = "--token-file";
        all[args.length + 3] = tokenFile.toString();
        return run(all);
    }

    @Test
    void inferOverGrpcWritesTheSameFileAsInProcess() throws Exception {
        Random r = new Random(3);
        float[] x = new float[17 * 8];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextGaussian();
        }
        HostTensor input = HostTensor.ofFloats(x, 17, 8);
        Path npy = work.resolve("x.npy");
        Npy.write(npy, input);
        Path remote = work.resolve("remote.npz");
        Result res = run("infer", "--target", target, "--pipeline", "moe", "--input", "x=" + npy,
                "--output", remote.toString(), "--trace");
        assertEquals(0, res.code(), res.err());
        assertTrue(res.err().startsWith("moxie: wrote " + remote + " (") && res.err().contains("FP32[17, 8]"),
                "what the file holds: " + res.err());
        assertEquals("", res.out(), "stdout stays free for scripts");

        // what --local does: the engine in process, then Npz.write of outputs and routing/<layer>/... traces
        InferenceResult local = fx.kernel.engine().infer("moe", new InferenceRequest(Map.of("x", input), Map.of(), true));
        Map<String, HostTensor> expected = new LinkedHashMap<>(local.outputs());
        local.routing().forEach((k, v) -> expected.put("routing/" + k, v));
        Path inProcess = work.resolve("local.npz");
        Npz.write(inProcess, expected);
        assertEquals(Npz.read(inProcess), Npz.read(remote));
        assertArrayEquals(Files.readAllBytes(inProcess), Files.readAllBytes(remote), "byte-identical files");
    }

    @Test
    void serverErrorsAreOneLineWithTheStatusAndExitOne() throws Exception {
        Path npy = work.resolve("one.npy");
        Npy.write(npy, HostTensor.ofFloats(new float[] {1}, 1, 1));
        Result unknown = run("infer", "--target", target, "--pipeline", "nope", "--input", "x=" + npy,
                "--output", work.resolve("o.npz").toString());
        assertEquals(1, unknown.code());
        assertEquals(1, unknown.err().strip().lines().count(), unknown.err());
        assertTrue(unknown.err().contains("NOT_FOUND"), unknown.err());

        Result down = run("health", "--target", "127.0.0.1:1", "--timeout", "5s");
        assertEquals(1, down.code());
        assertTrue(down.err().contains("UNAVAILABLE"), down.err());

        Result noToken = run("pipelines", "delete", "moe", "--target", target);
        assertEquals(1, noToken.code());
        assertTrue(noToken.err().contains("UNAUTHENTICATED"), noToken.err());
    }

    @Test
    void usageErrorsExitTwo() {
        assertEquals(2, run("infer", "--target", target, "--input", "x=missing.npy", "--output", "o.npz").code(), "no --pipeline");
        assertEquals(2, run("swap", "--target", target, "--pipeline", "moe", "--stage", "mix").code(), "nothing to swap to");
        assertEquals(2, run("bench", "--target", target, "--pipeline", "moe", "--concurrency", "0").code());
        assertEquals(2, run("bench", "--target", target, "--pipeline", "moe", "--connections", "0").code());
        assertEquals(2, run("health", "--target", "no-port").code());
        assertEquals(2, run("pipelines").code());
    }

    @Test
    void pipelinesListShowApplyDelete() throws Exception {
        Result list = run("pipelines", "list", "--target", target);
        assertEquals(0, list.code(), list.err());
        assertTrue(list.out().contains("moe") && list.out().contains("READY"), list.out());
        Result show = run("pipelines", "show", "moe", "--target", target);
        assertTrue(show.out().contains("router  first (gateway tests"), show.out());
        assertFalse(show.out().contains("chosen from"), "one name, no list to choose from: " + show.out());

        Path listing = Files.writeString(work.resolve("preferring.yaml"), TestPipelines.moe("preferring", "[not-installed, last]"));
        assertEquals(0, admin("pipelines", "apply", listing.toString()).code());
        Result chosen = run("pipelines", "show", "preferring", "--target", target);
        assertTrue(chosen.out().contains("router  last (gateway tests")
                && chosen.out().contains(", chosen from [not-installed, last]"), chosen.out());
        assertEquals(0, admin("pipelines", "delete", "preferring").code());

        Path yaml = Files.writeString(work.resolve("cli.yaml"), TestPipelines.identity("from-cli", "float32", 1, false));
        Result apply = admin("pipelines", "apply", yaml.toString());
        assertEquals(0, apply.code(), apply.err());
        assertTrue(apply.out().contains("applied from-cli: READY"), apply.out());
        assertTrue(Files.exists(home.resolve("conf/pipelines/from-cli.yaml")));
        Result delete = admin("pipelines", "delete", "from-cli");
        assertEquals(0, delete.code(), delete.err());
        assertFalse(Files.exists(home.resolve("conf/pipelines/from-cli.yaml")));
    }

    @Test
    void swapHealthAndPlugins() throws Exception {
        Path yaml = Files.writeString(work.resolve("swap.yaml"), TestPipelines.moe("cli-swap", "first"));
        assertEquals(0, admin("pipelines", "apply", yaml.toString()).code());
        Result swap = admin("swap", "--pipeline", "cli-swap", "--stage", "mix", "--router", "last");
        assertEquals(0, swap.code(), swap.err());
        assertTrue(swap.out().contains("version 2") && swap.out().contains("router last"), swap.out());

        Result health = run("health", "--target", target, "--pipeline", "cli-swap");
        assertEquals(0, health.code(), health.err());
        assertTrue(health.out().contains("cli-swap: SERVING"), health.out());

        TestBundles.write(home.resolve("plugins/cli-plugin.jar"), "io.moxie.test.cli", "1.0.0");
        Result install = admin("plugins", "install", "cli-plugin.jar");
        assertEquals(0, install.code(), install.err());
        assertTrue(install.out().contains("installed io.moxie.test.cli 1.0.0"), install.out());
        assertTrue(run("plugins", "list", "--target", target).out().contains("io.moxie.test.cli"));
        TestBundles.write(home.resolve("plugins/cli-plugin-2.jar"), "io.moxie.test.cli", "2.0.0");
        Result update = admin("plugins", "update", "io.moxie.test.cli", "cli-plugin-2.jar");
        assertEquals(0, update.code(), update.err());
        assertTrue(update.out().contains("2.0.0"), update.out());
        assertEquals(0, admin("plugins", "uninstall", "io.moxie.test.cli").code());
        assertFalse(run("plugins", "list", "--target", target).out().contains("io.moxie.test.cli"));
    }

    @Test
    void benchReportsThroughputPercentilesAndErrors() {
        Result bench = run("bench", "--target", target, "--pipeline", "identity-fp32", "--concurrency", "2",
                "--duration", "2s", "--warmup", "2");
        assertEquals(0, bench.code(), bench.err());
        assertTrue(bench.err().contains("req/s"), "live progress line: " + bench.err());
        assertTrue(bench.out().contains("throughput") && bench.out().contains("p99") && bench.out().contains("0 errors"),
                bench.out());
        Result spread = run("bench", "--target", target, "--pipeline", "identity-fp32", "--concurrency", "3",
                "--connections", "2", "--duration", "1s", "--warmup", "2");
        assertEquals(0, spread.code(), spread.err());
        assertTrue(spread.out().contains("concurrency 3 on 2 connections") && spread.out().contains("0 errors"),
                spread.out());
    }
}
