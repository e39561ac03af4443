package io.moxie.kernel.io;

import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.stream.Collectors;

/** The safetensors dtype names this package reads and writes, with their DJL types. */
enum SafetensorsDtype {
    F64(DataType.FLOAT64),
    F32(DataType.FLOAT32),
    F16(DataType.FLOAT16),
    BF16(DataType.BFLOAT16),
    I64(DataType.INT64),
    I32(DataType.INT32),
    I16(DataType.INT16),
    I8(DataType.INT8),
    U64(DataType.UINT64),
    U32(DataType.UINT32),
    U16(DataType.UINT16),
    U8(DataType.UINT8),
    BOOL(DataType.BOOLEAN);

    private final DataType dataType;

    SafetensorsDtype(DataType dataType) {
        this.dataType = dataType;
    }

    DataType dataType() {
        return dataType;
    }

    int itemSize() {
        return dataType.getNumOfBytes();
    }

    /** Returns the dtype called {@code name} in a header, or null if this package does not know it. */
    static SafetensorsDtype fromName(String name) {
        for (SafetensorsDtype d : values()) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        return null;
    }

    /** Returns the dtype a tensor of {@code type} is stored as, or null if safetensors has none. */
    static SafetensorsDtype fromDataType(DataType type) {
        for (SafetensorsDtype d : values()) {
            if (d.dataType == type) {
                return d;
            }
        }
        return null;
    }

    static String supportedNames() {
        return Arrays.stream(values()).map(Enum::name).collect(Collectors.joining(", "));
    }
}
