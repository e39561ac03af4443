/**
 * Image decoding and preprocessing for the vision encoders, byte-exact with the Python references: PNG/JPEG to RGB
 * as PIL's {@code convert('RGB')} ({@link io.moxie.encoders.image.ImageDecoder}), Pillow's bicubic resize
 * ({@link io.moxie.encoders.image.PillowResize}), and the CuMo and Octavius preprocessors built from them
 * ({@link io.moxie.encoders.image.ClipPreprocessor}, {@link io.moxie.encoders.image.OctaviusImagePreprocessor}).
 * Plain Java (ImageIO only for inflating and entropy decoding); no DJL.
 */
package io.moxie.encoders.image;
