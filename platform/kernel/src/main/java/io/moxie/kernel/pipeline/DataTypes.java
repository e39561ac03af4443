package io.moxie.kernel.pipeline;

import ai.djl.ndarray.types.DataType;
import java.util.Locale;

/** The dtype names pipeline definitions use ({@code float32}, {@code int64}, ...), as DJL data types. */
final class DataTypes {
    private DataTypes() {
    }

    static DataType parse(String name, String where) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "float32", "fp32", "f32" -> DataType.FLOAT32;
            case "float16", "fp16", "f16" -> DataType.FLOAT16;
            case "bfloat16", "bf16" -> DataType.BFLOAT16;
            case "float64", "fp64", "f64" -> DataType.FLOAT64;
            case "int64", "i64" -> DataType.INT64;
            case "int32", "i32" -> DataType.INT32;
            case "int8", "i8" -> DataType.INT8;
            case "uint8", "u8", "bytes" -> DataType.UINT8;
            case "bool", "boolean" -> DataType.BOOLEAN;
            default -> throw new PipelineDefinitionException(where + ": unknown dtype '" + name + "'");
        };
    }
}
