package io.moxie.encoders.pointcloud;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ComponentContext;
import io.moxie.api.InvalidInputException;
import io.moxie.api.RequestContext;
import io.moxie.api.Stage;
import io.moxie.api.StageFactory;
import io.moxie.api.TensorSpec;
import io.moxie.kernel.pipeline.PipelineDefinition;
import io.moxie.kernel.pipeline.PipelineYaml;
import io.moxie.kernel.registry.ComponentKind;
import io.moxie.kernel.tensor.HostTensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Requests without boxes: the default pipeline's {@code geometric-roi} stage finds the objects of a synthetic scene
 * (a noisy ground plane and three separated shapes) with their exact boxes, and a stand-in for a learned detector
 * takes its place by a change of stage kind.
 */
class GeometricRoiExtractorTest {
    private static final Path MODEL = OctaviusPipelines.goldenCase("3d-tiny");
    private static OctaviusPipelines pipelines;
    private static String pipeline;

    @BeforeAll
    static void start() {
        pipelines = new OctaviusPipelines();
        pipeline = pipelines.deploy(MODEL);
    }

    @AfterAll
    static void stop() {
        pipelines.close();
    }

    /** A scene and the tight boxes of its objects, in the order of each object's first point. */
    record Scene(float[] points, float[] boxes) {
    }

    @Test
    void groundPlaneAndThreeShapesGiveTheShapesBoxes() {
        Scene scene = scene(new Random(7), true);
        Map<String, HostTensor> out = pipelines.infer(pipeline,
                Map.of("points", HostTensor.ofFloats(scene.points(), scene.points().length / 3, 3)));
        assertArrayEquals(new long[] {3, 6}, out.get("boxes").shape());
        assertArrayEquals(scene.boxes(), out.get("boxes").toFloatArray());
        assertArrayEquals(new long[] {1, 1, 1}, out.get("object_mask").toLongArray());
        assertArrayEquals(new long[] {4, 48}, out.get("scene_tokens").shape());
    }

    @Test
    void aSceneWithNothingOnTheGroundIsRefused() {
        Scene scene = scene(new Random(8), false);
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> pipelines.infer(pipeline,
                Map.of("points", HostTensor.ofFloats(scene.points(), scene.points().length / 3, 3))));
        assertTrue(e.getMessage().contains("found no object"), e.getMessage());
    }

    @Test
    void aLearnedDetectorTakesTheExtractorsPlace() throws Exception {
        pipelines.registry().register(ComponentKind.STAGE, new FixedBoxDetector(), "test");
        String yaml = Files.readString(OctaviusPipelines.TEMPLATE).replace("kind: geometric-roi", "kind: fixed-box-detector");
        PipelineDefinition def = new PipelineYaml().parse(yaml, "test", Map.of("pipeline", "with-detector",
                "model", MODEL.toAbsolutePath().toString()));
        pipelines.deploy(def);
        Scene scene = scene(new Random(7), true);
        Map<String, HostTensor> out = pipelines.infer("with-detector",
                Map.of("points", HostTensor.ofFloats(scene.points(), scene.points().length / 3, 3)));
        assertArrayEquals(FixedBoxDetector.BOX, out.get("boxes").toFloatArray());
        assertTrue(out.get("object_point_count").toLongArray()[0] > 0);
    }

    /**
     * Ground: 8000 points on [0, 6]^2 with 4 mm of noise. Objects (when asked): a box surface, a sphere, a cylinder,
     * 2500 points each, at least 10 cm above the ground and over a metre apart. All points shuffled.
     */
    static Scene scene(Random r, boolean withObjects) {
        List<float[]> points = new ArrayList<>();
        for (int i = 0; i < 8000; i++) {
            points.add(new float[] {r.nextFloat() * 6, r.nextFloat() * 6, (float) (r.nextGaussian() * 0.004), -1});
        }
        if (withObjects) {
            for (int i = 0; i < 2500; i++) {
                points.add(boxSurface(r, 1.5, 1.5, 0.35, 0.6, 0.4, 0.5, 0));
                points.add(sphere(r, 4.2, 1.8, 0.5, 0.3, 1));
                points.add(cylinder(r, 2.5, 4.3, 0.55, 0.25, 0.8, 2));
            }
        }
        Collections.shuffle(points, r);
        float[] xyz = new float[points.size() * 3];
        float[][] boxes = new float[3][];
        int[] first = {-1, -1, -1};
        for (int i = 0; i < points.size(); i++) {
            float[] p = points.get(i);
            System.arraycopy(p, 0, xyz, i * 3, 3);
            int o = (int) p[3];
            if (o >= 0) {
                if (boxes[o] == null) {
                    boxes[o] = new float[] {p[0], p[1], p[2], p[0], p[1], p[2]};
                    first[o] = i;
                }
                for (int a = 0; a < 3; a++) {
                    boxes[o][a] = Math.min(boxes[o][a], p[a]);
                    boxes[o][3 + a] = Math.max(boxes[o][3 + a], p[a]);
                }
            }
        }
        if (!withObjects) {
            return new Scene(xyz, new float[0]);
        }
        Integer[] order = {0, 1, 2};
        Arrays.sort(order, (a, b) -> Integer.compare(first[a], first[b]));
        float[] expected = new float[18];
        for (int k = 0; k < 3; k++) {
            System.arraycopy(boxes[order[k]], 0, expected, k * 6, 6);
        }
        return new Scene(xyz, expected);
    }

    private static float[] boxSurface(Random r, double cx, double cy, double cz, double sx, double sy, double sz, int id) {
        double[] u = {r.nextDouble() - 0.5, r.nextDouble() - 0.5, r.nextDouble() - 0.5};
        int face = r.nextInt(3);
        u[face] = u[face] < 0 ? -0.5 : 0.5;
        return new float[] {(float) (cx + u[0] * sx), (float) (cy + u[1] * sy), (float) (cz + u[2] * sz), id};
    }

    private static float[] sphere(Random r, double cx, double cy, double cz, double radius, int id) {
        double x = r.nextGaussian();
        double y = r.nextGaussian();
        double z = r.nextGaussian();
        double s = radius / Math.sqrt(x * x + y * y + z * z);
        return new float[] {(float) (cx + x * s), (float) (cy + y * s), (float) (cz + z * s), id};
    }

    private static float[] cylinder(Random r, double cx, double cy, double cz, double radius, double height, int id) {
        double t = r.nextDouble() * 2 * Math.PI;
        double h = (r.nextDouble() - 0.5) * height;
        return new float[] {(float) (cx + Math.cos(t) * radius), (float) (cy + Math.sin(t) * radius), (float) (cz + h), id};
    }

    /**
     * Stands in for a learned 3D detector: the ports and contract of an RoI extractor (the request's boxes when
     * given, else its own: here always one fixed box), and a warm-up scene whose box contains its points.
     */
    static final class FixedBoxDetector implements StageFactory {
        static final float[] BOX = {1.1f, 1.2f, 0.05f, 1.9f, 1.8f, 0.65f};

        @Override
        public String kind() {
            return "fixed-box-detector";
        }

        @Override
        public Stage create(ComponentContext context) {
            return new Stage() {
                @Override
                public List<TensorSpec> inputs() {
                    return List.of(new TensorSpec("points", DataType.FLOAT32, new long[] {-1, -1}),
                            new TensorSpec("boxes", DataType.FLOAT32, new long[] {-1, -1}));
                }

                @Override
                public List<TensorSpec> outputs() {
                    return List.of(new TensorSpec("boxes", DataType.FLOAT32, new long[] {-1, 6}));
                }

                @Override
                public Map<String, NDArray> run(Map<String, NDArray> inputs, RequestContext request) {
                    NDArray given = inputs.get("boxes");
                    return Map.of("boxes", given != null ? given : request.manager().create(BOX, new Shape(1, 6)));
                }

                @Override
                public Map<String, NDArray> warmUpInputs(NDManager manager) {
                    return Map.of("points", manager.zeros(new Shape(1, 3)),
                            "boxes", manager.create(new float[] {0, 0, 0, 1, 1, 1}, new Shape(1, 6)));
                }
            };
        }
    }
}
