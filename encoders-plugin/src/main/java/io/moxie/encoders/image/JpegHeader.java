package io.moxie.encoders.image;

import io.moxie.api.InvalidInputException;

/**
 * What a JPEG says about itself before its first scan: the frame (SOF) and the markers libjpeg uses to guess the
 * colour space (JFIF APP0, Adobe APP14).
 *
 * @param sofMarker      second byte of the SOF marker (0xC0 baseline, 0xC1 extended, 0xC2 progressive, ...)
 * @param adobeTransform the Adobe APP14 transform byte, or -1 without that marker
 */
record JpegHeader(int width, int height, int components, int precision, int sofMarker, int[] componentIds,
                  boolean jfif, int adobeTransform) {

    /** Walks the marker segments from SOI to the first SOS. */
    static JpegHeader read(byte[] d) {
        int pos = 2;
        boolean jfif = false;
        int adobeTransform = -1;
        JpegHeader frame = null;
        while (true) {
            // libjpeg skips garbage and fill bytes before a marker (with a warning PIL ignores).
            while (pos < d.length && d[pos] != (byte) 0xFF) {
                pos++;
            }
            while (pos < d.length && d[pos] == (byte) 0xFF) {
                pos++;
            }
            if (pos >= d.length) {
                throw new InvalidInputException("truncated image");
            }
            int marker = d[pos++] & 0xFF;
            if (marker == 0x01 || marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7)) {
                continue; // no length field
            }
            if (marker == 0xD9) {
                throw new InvalidInputException("corrupt JPEG image: no image data before the end marker");
            }
            if (pos + 2 > d.length) {
                throw new InvalidInputException("truncated image");
            }
            int length = (d[pos] & 0xFF) << 8 | (d[pos + 1] & 0xFF);
            if (length < 2) {
                throw new InvalidInputException("corrupt JPEG image: marker segment of length " + length);
            }
            if (pos + length > d.length) {
                throw new InvalidInputException("truncated image");
            }
            int body = pos + 2;
            int bodyLength = length - 2;
            if (marker == 0xDA) {
                if (frame == null) {
                    throw new InvalidInputException("corrupt JPEG image: scan before frame header");
                }
                return new JpegHeader(frame.width, frame.height, frame.components, frame.precision, frame.sofMarker,
                        frame.componentIds, jfif, adobeTransform);
            } else if (isFrame(marker)) {
                frame = frame(marker, d, body, bodyLength);
            } else if (marker == 0xE0 && bodyLength >= 14 && startsWith(d, body, "JFIF\0")) {
                jfif = true; // libjpeg examine_app0: at least APP0_DATA_LEN (14) bytes
            } else if (marker == 0xEE && bodyLength >= 12 && startsWith(d, body, "Adobe")) {
                adobeTransform = d[body + 11] & 0xFF; // libjpeg examine_app14: APP14_DATA_LEN (12) bytes
            }
            pos += length;
        }
    }

    private static boolean isFrame(int marker) {
        return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    }

    private static JpegHeader frame(int marker, byte[] d, int body, int bodyLength) {
        if (bodyLength < 6) {
            throw new InvalidInputException("corrupt JPEG image: short frame header");
        }
        int precision = d[body] & 0xFF;
        int height = (d[body + 1] & 0xFF) << 8 | (d[body + 2] & 0xFF);
        int width = (d[body + 3] & 0xFF) << 8 | (d[body + 4] & 0xFF);
        int components = d[body + 5] & 0xFF;
        if (components < 1 || bodyLength < 6 + 3 * components) {
            throw new InvalidInputException("corrupt JPEG image: frame header with " + components + " components");
        }
        int[] ids = new int[components];
        for (int i = 0; i < components; i++) {
            ids[i] = d[body + 6 + 3 * i] & 0xFF;
        }
        return new JpegHeader(width, height, components, precision, marker, ids, false, -1);
    }

    private static boolean startsWith(byte[] d, int pos, String ascii) {
        for (int i = 0; i < ascii.length(); i++) {
            if (d[pos + i] != (byte) ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Refuses what PIL would decode differently or the JDK cannot decode at all. */
    void checkSupported() {
        if (sofMarker == 0xC9 || sofMarker == 0xCA || sofMarker == 0xCB || sofMarker >= 0xCD) {
            throw new InvalidInputException("arithmetic-coded JPEG images are not supported");
        }
        if (sofMarker != 0xC0 && sofMarker != 0xC1 && sofMarker != 0xC2) {
            throw new InvalidInputException("lossless or hierarchical JPEG images are not supported");
        }
        if (precision != 8) {
            throw new InvalidInputException(precision + "-bit JPEG images are not supported (8-bit only)");
        }
        if (components == 4) {
            throw new InvalidInputException("CMYK JPEG images are not supported");
        }
        if (components != 1 && components != 3) {
            throw new InvalidInputException("JPEG images with " + components + " components are not supported");
        }
    }

    /**
     * libjpeg's guess for three components ({@code default_decompress_parms}): JFIF means YCbCr; otherwise an Adobe
     * marker decides (transform 0 RGB, anything else YCbCr); otherwise component ids 'R','G','B' mean RGB, and
     * everything else is taken for YCbCr.
     */
    boolean isYCbCr() {
        if (jfif) {
            return true;
        }
        if (adobeTransform >= 0) {
            return adobeTransform != 0;
        }
        return !(componentIds[0] == 'R' && componentIds[1] == 'G' && componentIds[2] == 'B');
    }

    @Override
    public String toString() {
        return "JPEG " + width + "x" + height + ", " + components + " components, SOF 0x"
                + Integer.toHexString(sofMarker);
    }
}
