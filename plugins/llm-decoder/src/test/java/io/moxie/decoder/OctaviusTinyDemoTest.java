package io.moxie.decoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.moxie.kernel.io.Npz;
import io.moxie.kernel.pipeline.InferenceRequest;
import io.moxie.kernel.tensor.HostTensor;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The distribution's {@code octavius-tiny} demo model answers its example image question through its default pipeline
 * ({@code octavius-chat}) and its example scene question through {@code conf/pipelines/octavius-tiny-scene.yaml},
 * both from one model directory, with the answers the references give ({@code examples/*.expected.npz}).
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
