/**
 * S² multi-scale features as two stages, so the pipeline DAG shows them around the tower: {@code s2-split}
 * (bicubic upscale and chessboard split into tower-sized crops) and {@code s2-merge} (merge crops, area downsample,
 * channel concat), README §4.5 of the CuMo reference.
 */
package io.moxie.encoders.s2;
