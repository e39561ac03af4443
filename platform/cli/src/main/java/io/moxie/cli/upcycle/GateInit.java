package io.moxie.cli.upcycle;

import java.util.Locale;

/**
 * How an upcycled router gate {@code [E, fan_in]} is initialised: the reference's {@code --gate-init} values, drawn
 * in float32 exactly as its torch expressions compute them.
 */
public sealed interface GateInit {

    /** Draws the {@code experts x fanIn} gate (row-major float32) from {@code gen}. */
    float[] draw(TorchGenerator gen, int experts, int fanIn);

    /**
     * {@code nn.Linear}'s default (kaiming-uniform, a = sqrt 5): {@code (torch.rand(E, fan_in) * 2 - 1) /
     * math.sqrt(fan_in)}. The Python float divisor enters torch's float32 kernel as a float32 (checked byte for
     * byte against the reference), so the division is a float division by the rounded square root.
     */
    record Uniform() implements GateInit {
        @Override
        public float[] draw(TorchGenerator gen, int experts, int fanIn) {
            float[] g = gen.rand(Math.multiplyExact(experts, fanIn));
            float divisor = (float) Math.sqrt(fanIn);
            for (int i = 0; i < g.length; i++) {
                g[i] = (g[i] * 2f - 1f) / divisor;
            }
            return g;
        }

        @Override
        public String toString() {
            return "uniform";
        }
    }

    /** {@code torch.randn(E, fan_in) * std}, the product in float32. */
    record Normal(double std) implements GateInit {
        @Override
        public float[] draw(TorchGenerator gen, int experts, int fanIn) {
            float[] g = gen.randn(Math.multiplyExact(experts, fanIn));
            float s = (float) std;
            for (int i = 0; i < g.length; i++) {
                g[i] *= s;
            }
            return g;
        }

        @Override
        public String toString() {
            return "normal:" + std;
        }
    }

    /** All zeros; draws nothing, so it leaves the generator where it was (as the reference's {@code torch.zeros}). */
    record Zeros() implements GateInit {
        @Override
        public float[] draw(TorchGenerator gen, int experts, int fanIn) {
            return new float[Math.multiplyExact(experts, fanIn)];
        }

        @Override
        public String toString() {
            return "zeros";
        }
    }

    /**
     * Parses {@code uniform}, {@code normal:STD} (a finite number) or {@code zeros}.
     *
     * @throws IllegalArgumentException with a one-line message if {@code spec} is none of them
     */
    static GateInit parse(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        if (s.equals("uniform")) {
            return new Uniform();
        }
        if (s.equals("zeros")) {
            return new Zeros();
        }
        if (s.startsWith("normal:")) {
            String number = s.substring("normal:".length()).trim();
            try {
                double std = Double.parseDouble(number);
                if (Double.isFinite(std) && !number.endsWith("d") && !number.endsWith("f")) {
                    return new Normal(std);
                }
            } catch (NumberFormatException e) {
                // reported below with the accepted forms
            }
            throw new IllegalArgumentException("gate init '" + spec + "': STD in normal:STD must be a finite number");
        }
        throw new IllegalArgumentException("gate init '" + spec + "': expected uniform, normal:STD or zeros");
    }
}
