package io.moxie.encoders.pointcloud.decode;

import io.moxie.api.InvalidInputException;

/** Recognises an encoded point cloud by its first bytes and decodes it. Stateless and thread-safe. */
final class PointCloudFiles {
    private PointCloudFiles() {
    }

    /**
     * Decodes a PLY (ASCII or binary little-endian), {@code .npy} or {@code .npz} file.
     *
     * @throws InvalidInputException if the bytes are none of these or are malformed
     */
    static DecodedPoints decode(byte[] bytes) {
        if (PlyReader.looksLikePly(bytes)) {
            return PlyReader.read(bytes);
        }
        if (NpyPoints.looksLikeNpy(bytes)) {
            return NpyPoints.read(bytes, ".npy");
        }
        if (NpzPoints.looksLikeNpz(bytes)) {
            return NpzPoints.read(bytes);
        }
        if (bytes.length == 0) {
            throw new InvalidInputException("the file is empty");
        }
        throw new InvalidInputException("not a PLY, .npy or .npz file (it starts with " + preview(bytes) + ")");
    }

    private static String preview(byte[] bytes) {
        StringBuilder sb = new StringBuilder("'");
        for (int i = 0; i < Math.min(bytes.length, 8); i++) {
            int b = bytes[i] & 0xff;
            sb.append(b >= 0x20 && b < 0x7f ? Character.toString((char) b) : String.format("\\x%02x", b));
        }
        return sb.append("'").toString();
    }
}
