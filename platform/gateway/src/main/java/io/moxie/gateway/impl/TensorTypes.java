package io.moxie.gateway.impl;

import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/**
 * Data type names on the wire (the Open Inference Protocol's {@code FP32}, {@code INT64}, ..., also used by
 * {@code moxie.v1}) against DJL data types and the dtype names of pipeline definitions ({@code float32}, ...).
 * {@code BYTES} carries one encoded file (an image, a point cloud) and becomes a {@code uint8} vector.
 */
public final class TensorTypes {
    /** The wire name of an encoded file. */
    public static final String BYTES = "BYTES";

    private TensorTypes() {
    }

    /**
     * Returns the DJL type of a wire datatype, or null for {@code BYTES} and for types Moxie does not carry
     * (INT16, UINT16, UINT32, UINT64).
     */
    public static DataType fromWire(String datatype) {
        return switch (datatype) {
            case "BOOL" -> DataType.BOOLEAN;
            case "UINT8" -> DataType.UINT8;
            case "INT8" -> DataType.INT8;
            case "INT32" -> DataType.INT32;
            case "INT64" -> DataType.INT64;
            case "FP16" -> DataType.FLOAT16;
            case "BF16" -> DataType.BFLOAT16;
            case "FP32" -> DataType.FLOAT32;
            case "FP64" -> DataType.FLOAT64;
            default -> null;
        };
    }

    /** Returns the wire datatype of a DJL type. */
    public static String toWire(DataType type) {
        return switch (type) {
            case BOOLEAN -> "BOOL";
            case UINT8 -> "UINT8";
            case INT8 -> "INT8";
            case INT32 -> "INT32";
            case INT64 -> "INT64";
            case FLOAT16 -> "FP16";
            case BFLOAT16 -> "BF16";
            case FLOAT32 -> "FP32";
            case FLOAT64 -> "FP64";
            default -> type.name();
        };
    }

    /** Returns the wire datatype of a pipeline definition's dtype name (as the kernel reads them). */
    public static String fromPipelineDtype(String dtype) {
        return switch (dtype.toLowerCase(Locale.ROOT)) {
            case "float32", "fp32", "f32" -> "FP32";
            case "float16", "fp16", "f16" -> "FP16";
            case "bfloat16", "bf16" -> "BF16";
            case "float64", "fp64", "f64" -> "FP64";
            case "int64", "i64" -> "INT64";
            case "int32", "i32" -> "INT32";
            case "int8", "i8" -> "INT8";
            case "uint8", "u8" -> "UINT8";
            case "bytes" -> BYTES;
            case "bool", "boolean" -> "BOOL";
            default -> dtype.toUpperCase(Locale.ROOT);
        };
    }

    /** Returns the size in bytes of one element of a DJL type. */
    public static int elementBytes(DataType type) {
        return type.getNumOfBytes();
    }
}
