package io.moxie.encoders.pointcloud.pointbert;

import ai.djl.ndarray.NDArray;
import io.moxie.encoders.pointcloud.Octavius3dConfig;
import io.moxie.encoders.pointcloud.WeightLoader;

/**
 * The mini-PointNet's weights (ULIP {@code dvae.Encoder}, checkpoint prefix {@code point_encoder.encoder.}) in the
 * form the forward pass uses, all float32 in the component's manager:
 * <ul>
 *   <li>each eval-mode BatchNorm is folded into the convolution before it: {@code s = gamma / sqrt(var + eps)},
 *       {@code W' = s * W}, {@code b' = s * (b - mean) + beta} (computed in float64, rounded once);</li>
 *   <li>{@code second_conv.0} ({@code [c3, 2*c2]}, input {@code concat(global, local)}) is split into its global
 *       half {@code [c3, c2]}, applied once per group, and its local half {@code [c3, c2]}, applied per point: the
 *       same sum, half the work.</li>
 * </ul>
 *
 * @param conv1 first_conv.0 with first_conv.1 folded, {@code [c1, 3]}
 * @param conv1Bias {@code [c1]}
 * @param conv2 first_conv.3, {@code [c2, c1]}
 * @param conv2Bias {@code [c2]}
 * @param conv3Global second_conv.0 (global columns) with second_conv.1 folded, {@code [c3, c2]}
 * @param conv3Local second_conv.0 (per-point columns) with second_conv.1 folded, {@code [c3, c2]}
 * @param conv3Bias {@code [c3]}
 * @param conv4 second_conv.3, {@code [encoder_dims, c3]}
 * @param conv4Bias {@code [encoder_dims]}
 */
record MiniPointNetWeights(NDArray conv1, NDArray conv1Bias, NDArray conv2, NDArray conv2Bias, NDArray conv3Global,
                           NDArray conv3Local, NDArray conv3Bias, NDArray conv4, NDArray conv4Bias) {
    private static final String P = "point_encoder.encoder.";

    static MiniPointNetWeights load(WeightLoader w, Octavius3dConfig c) {
        int c1 = c.encoderConv1();
        int c2 = c.encoderConv2();
        int c3 = c.encoderConv3();
        int enc = c.encoderDims();
        float eps = c.batchNormEps();
        Folded first = fold(w, "first_conv.0.", "first_conv.1.", c1, 3, eps);
        Folded second = fold(w, "second_conv.0.", "second_conv.1.", c3, 2 * c2, eps);
        float[] global = new float[c3 * c2];
        float[] local = new float[c3 * c2];
        for (int o = 0; o < c3; o++) {
            System.arraycopy(second.weight, o * 2 * c2, global, o * c2, c2);
            System.arraycopy(second.weight, o * 2 * c2 + c2, local, o * c2, c2);
        }
        return new MiniPointNetWeights(
                w.create(first.weight, c1, 3), w.create(first.bias, c1),
                w.conv1x1(P + "first_conv.3.weight", c2, c1), w.load(P + "first_conv.3.bias", c2),
                w.create(global, c3, c2), w.create(local, c3, c2), w.create(second.bias, c3),
                w.conv1x1(P + "second_conv.3.weight", enc, c3), w.load(P + "second_conv.3.bias", enc));
    }

    private record Folded(float[] weight, float[] bias) {
    }

    private static Folded fold(WeightLoader w, String conv, String bn, int out, int in, float eps) {
        float[] weight = w.floats(P + conv + "weight", out, in, 1);
        float[] bias = w.floats(P + conv + "bias", out);
        float[] gamma = w.floats(P + bn + "weight", out);
        float[] beta = w.floats(P + bn + "bias", out);
        float[] mean = w.floats(P + bn + "running_mean", out);
        float[] var = w.floats(P + bn + "running_var", out);
        float[] fw = new float[out * in];
        float[] fb = new float[out];
        for (int o = 0; o < out; o++) {
            // the reference computes sqrt(var + eps) in float32; do the same before widening
            double s = (double) gamma[o] / (float) Math.sqrt(var[o] + eps);
            for (int i = 0; i < in; i++) {
                fw[o * in + i] = (float) (s * weight[o * in + i]);
            }
            fb[o] = (float) (s * ((double) bias[o] - mean[o]) + beta[o]);
        }
        return new Folded(fw, fb);
    }
}
