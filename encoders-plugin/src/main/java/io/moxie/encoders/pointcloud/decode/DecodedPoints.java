package io.moxie.encoders.pointcloud.decode;

/**
 * Points decoded from a file, row-major float32.
 *
 * @param values the values
 * @param shape their shape: {@code [N, 3]} or {@code [N, 6]} from PLY; whatever the array holds from .npy/.npz
 *              (the caller checks it)
 */
record DecodedPoints(float[] values, long[] shape) {
    static DecodedPoints rows(float[] values, int rows, int columns) {
        return new DecodedPoints(values, new long[] {rows, columns});
    }
}
