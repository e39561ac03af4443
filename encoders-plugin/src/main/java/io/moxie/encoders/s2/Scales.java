package io.moxie.encoders.s2;

import io.moxie.api.Config;
import io.moxie.api.MoxieException;
import java.util.Arrays;

/**
 * The S² scales, {@code s2_scales}: integers, the first 1 (CuMo passes scale 1 through unresized and parses scales as
 * integers), default {@code [1]} (no S²). Crop order over the tower batch: the {@code B} images at scale 1, then for
 * each further scale {@code s} its {@code s²} crops crop-major (row {@code offset_s + c·B + b}, crop
 * {@code c = i·s + j} row-major). Immutable.
 */
final class Scales {
    static final String SETTING = "s2_scales";

    private final int[] values;

    private Scales(int[] values) {
        this.values = values;
    }

    static Scales of(Config config) {
        int[] scales = config.getIntArray(SETTING, new int[] {1});
        if (scales.length == 0 || scales[0] != 1 || Arrays.stream(scales).anyMatch(s -> s < 1)) {
            throw new MoxieException(config.source() + ": setting '" + SETTING + "' must be positive integers starting "
                    + "with 1, got " + Arrays.toString(scales));
        }
        return new Scales(scales);
    }

    /** Returns the number of scales. */
    int count() {
        return values.length;
    }

    /** Returns scale {@code i}. */
    int get(int i) {
        return values[i];
    }

    /** Returns {@code Σ s²}: tower rows per image. */
    int cropsPerImage() {
        return Arrays.stream(values).map(s -> s * s).sum();
    }

    @Override
    public String toString() {
        return Arrays.toString(values);
    }
}
