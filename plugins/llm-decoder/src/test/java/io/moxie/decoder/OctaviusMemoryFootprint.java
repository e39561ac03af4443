package io.moxie.decoder;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ParameterStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Not a test: prints the resident memory of one Octavius model directory served by the image chat (its default
 * {@code octavius-chat} pipeline) and then also by the scene chat ({@code conf/pipelines/octavius-tiny-scene.yaml}),
 * beside the bytes of the weights each part loads. docs/PERFORMANCE.md (Octavius 2D) has the command and figures.
 *
 * <p>Run from {@code plugins/llm-decoder}, after {@code mvn -o test-compile}, with a model from
 * {@code dist/src/demo/make_octavius_random.py}:
 * {@code java -Dai.djl.offline=true -cp target/test-classes:target/classes:$(cat cp.txt)
 * io.moxie.decoder.OctaviusMemoryFootprint DIR} (cp.txt from {@code mvn dependency:build-classpath}).
 */
public final class OctaviusMemoryFootprint {
    private static final Map<String, List<String>> PARTS = Map.of(
            "decoder (embeddings, layers, lm_head, LoRA experts, gate)",
            List.of("model.", "lm_head.", "gating_network.", "llama_model."),
            "image encoder (CLIP tower, llama_proj)", List.of("vision_model.", "llama_proj."),
            "point-cloud encoder (Point-BERT, Resampler3D, llama_proj_3d)",
            List.of("point_encoder.", "resampler_3d.", "pos_3d_proj.", "llama_proj_3d."));

    private OctaviusMemoryFootprint() {
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]).toAbsolutePath();
        try (OctaviusEngine octavius = new OctaviusEngine(model.getParent())) {
            ParameterStore params = octavius.models.openDirectory(model).parameters();
            Map<String, Long> bytes = new TreeMap<>();
            PARTS.forEach((part, prefixes) -> bytes.put(part, params.keys().stream()
                    .filter(k -> prefixes.stream().anyMatch(k::startsWith))
                    .mapToLong(k -> params.shape(k).size() * 4).sum()));
            bytes.forEach((part, b) -> System.out.printf("weights, %-62s %8.1f MB (float32)%n", part, b / 1e6));
            try (NDManager manager = NDManager.newBaseManager()) {
                // the native library's own start-up memory is not the pipelines'
                manager.ones(new Shape(64, 64)).matMul(manager.ones(new Shape(64, 64)));
            }
            Rss base = Rss.now();
            System.out.println("engine started:                  " + base);
            octavius.deploy(OctaviusEngine.chat("image-chat", model));
            Rss one = Rss.now();
            System.out.println("image chat deployed:             " + one + "   anon +" + one.minusAnon(base));
            System.out.println("                                 " + leases(octavius));
            octavius.deploy(OctaviusEngine.sceneChat(model.toString()));
            Rss both = Rss.now();
            System.out.println("image chat and scene chat:       " + both + "   anon +" + both.minusAnon(one)
                    + " for the scene chat");
            System.out.println("                                 " + leases(octavius));
        }
    }

    /** What the kernel has leased for weights, and how many decoders it has built. */
    private static String leases(OctaviusEngine octavius) {
        Map<String, Long> leases = octavius.engine.devices().status().get(0).leases();
        return String.format("kernel leases %.1f MB of weights in all; built decoder stages: %d",
                leases.values().stream().mapToLong(Long::longValue).sum() / 1e6,
                leases.keySet().stream().filter(owner -> owner.contains("(llm)")).count());
    }

    /** The process's resident set from {@code /proc/self/status}, after two collections. */
    private record Rss(long totalKb, long anonKb, long fileKb) {
        static Rss now() throws IOException, InterruptedException {
            for (int i = 0; i < 2; i++) {
                System.gc();
                Thread.sleep(200);
            }
            Map<String, Long> kb = new TreeMap<>();
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                String[] f = line.split("\\s+");
                if (f.length >= 2 && f[0].startsWith("Rss") || f[0].equals("VmRSS:")) {
                    kb.put(f[0], Long.parseLong(f[1]));
                }
            }
            return new Rss(kb.get("VmRSS:"), kb.get("RssAnon:"), kb.get("RssFile:"));
        }

        String minusAnon(Rss before) {
            return String.format("%.1f MB", (anonKb - before.anonKb) / 1e3);
        }

        @Override
        public String toString() {
            return String.format("RSS %7.1f MB (anonymous %7.1f MB, file-backed %7.1f MB)", totalKb / 1e3, anonKb / 1e3,
                    fileKb / 1e3);
        }
    }
}
