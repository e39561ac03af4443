package io.moxie.encoders.image;

/** OpenAI CLIP's per-channel pixel statistics, the defaults of both preprocessors (fresh arrays on every call). */
final class ClipStatistics {
    private ClipStatistics() {
    }

    static double[] mean() {
        return new double[] {0.48145466, 0.4578275, 0.40821073};
    }

    static double[] std() {
        return new double[] {0.26862954, 0.26130258, 0.27577711};
    }
}
