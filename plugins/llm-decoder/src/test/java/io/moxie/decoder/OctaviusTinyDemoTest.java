package io.moxie.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;

import io.moxie.kernel.device.DeviceManager;
import io.moxie.kernel.io.Npz;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.tensor.HostTensor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The distribution's {@code octavius-tiny} demo model answers its example image question through its default pipeline
 * ({@code octavius-chat}) and its example scene question through {@code conf/pipelines/octavius-tiny-scene.yaml},
 * both from one model directory, with the answers the references give ({@code examples/*.expected.npz}); the two
 * pipelines share one built decoder (its LoRA experts and gate with it), which stays while either serves.
 */
class OctaviusTinyDemoTest {

    @Test
    void demoModelAnswersTheExampleImageAndSceneQuestionsLikeTheReferences() throws Exception {
        try (OctaviusEngine octavius = new OctaviusEngine(OctaviusEngine.DIST.resolve("models"))) {
            octavius.deploy(OctaviusEngine.chat("octavius-tiny", OctaviusEngine.DIST.resolve("models/octavius-tiny")));
            octavius.deploy(OctaviusEngine.sceneChat("octavius-tiny"));
            answers(octavius, "octavius-tiny", "octavius-tiny-image");
            answers(octavius, "octavius-tiny-scene", "octavius-tiny-scene");
        }
    }

    @Test
    void theImageChatAndTheSceneChatShareOneDecoderAndEachServesWithoutTheOther() throws Exception {
        try (OctaviusEngine octavius = new OctaviusEngine(OctaviusEngine.DIST.resolve("models"))) {
            DeviceManager devices = octavius.engine.devices();
            octavius.deploy(OctaviusEngine.chat("octavius-tiny", OctaviusEngine.DIST.resolve("models/octavius-tiny")));
            long imageChat = devices.leasedBytes(Device.cpu());
            Map<String, Long> decoders = decoderLeases(devices);
            assertEquals(1, decoders.size(), decoders.toString());
            long decoder = decoders.values().iterator().next();
            assertTrue(decoder > imageChat / 2, "the decoder (LoRA experts and gate included) is most of the model");

            octavius.deploy(OctaviusEngine.sceneChat("octavius-tiny"));
            assertEquals(decoders, decoderLeases(devices), "the scene chat uses the decoder the image chat built");
            long sceneStages = devices.status().get(0).leases().entrySet().stream()
                    .filter(e -> e.getKey().contains("pipeline 'octavius-tiny-scene'"))
                    .mapToLong(Map.Entry::getValue).sum();
            assertEquals(imageChat + sceneStages, devices.leasedBytes(Device.cpu()),
                    "both pipelines hold the decoder's bytes once");
            assertTrue(sceneStages < decoder, "the scene chat's own stages are the small point-cloud encoder");
            answers(octavius, "octavius-tiny", "octavius-tiny-image");
            answers(octavius, "octavius-tiny-scene", "octavius-tiny-scene");

            octavius.engine.remove("octavius-tiny").get(30, TimeUnit.SECONDS);
            assertEquals(decoders, decoderLeases(devices), "the scene chat keeps the shared decoder");
            answers(octavius, "octavius-tiny-scene", "octavius-tiny-scene");

            octavius.deploy(OctaviusEngine.chat("octavius-tiny", OctaviusEngine.DIST.resolve("models/octavius-tiny")));
            octavius.engine.remove("octavius-tiny-scene").get(30, TimeUnit.SECONDS);
            assertEquals(decoders, decoderLeases(devices), "and the image chat serves on it alone");
            answers(octavius, "octavius-tiny", "octavius-tiny-image");

            octavius.engine.remove("octavius-tiny").get(30, TimeUnit.SECONDS);
            assertEquals(0, devices.leasedBytes(Device.cpu()), "freed with the last pipeline");
        }
    }

    /** The device leases of built {@code llm} stages, by owner. */
    private static Map<String, Long> decoderLeases(DeviceManager devices) {
        return devices.status().get(0).leases().entrySet().stream().filter(e -> e.getKey().contains("(llm)"))
                .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue));
    }

    private static void answers(OctaviusEngine octavius, String pipeline, String example) {
        Path examples = OctaviusEngine.DIST.resolve("examples");
        Map<String, HostTensor> out = octavius.engine.infer(pipeline,
                InferenceRequest.of(Npz.read(examples.resolve(example + ".npz")))).outputs();
        Map<String, HostTensor> expected = Npz.read(examples.resolve(example + ".expected.npz"));
        System.out.println(example + ": generated " + Arrays.toString(out.get("generated_ids").toLongArray())
                + ", gate " + Arrays.toString(out.get("lora_gate_indices").toLongArray()));
        assertArrayEquals(expected.get("generated_ids").toLongArray(), out.get("generated_ids").toLongArray(), example);
        assertArrayEquals(expected.get("lora_gate_indices").toLongArray(), out.get("lora_gate_indices").toLongArray(),
                example);
    }
}
