package io.moxie.kernel.io;

import ai.djl.ndarray.types.DataType;
import java.util.Arrays;
import java.util.stream.Collectors;

/** The NumPy dtypes this package reads and writes: little-endian (or single-byte) numbers and booleans. */
enum NpyDtype {
    F8("<f8", DataType.FLOAT64),
    F4("<f4", DataType.FLOAT32),
    F2("<f2", DataType.FLOAT16),
    I8("<i8", DataType.INT64),
    I4("<i4", DataType.INT32),
    I2("<i2", DataType.INT16),
    I1("|i1", DataType.INT8),
    U8("<u8", DataType.UINT64),
    U4("<u4", DataType.UINT32),
    U2("<u2", DataType.UINT16),
    U1("|u1", DataType.UINT8),
    B1("|b1", DataType.BOOLEAN);

    private final String descr;
    private final DataType dataType;

    NpyDtype(String descr, DataType dataType) {
        this.descr = descr;
        this.dataType = dataType;
    }

    /** The descr numpy writes, e.g. {@code <f4}. */
    String descr() {
        return descr;
    }

    DataType dataType() {
        return dataType;
    }

    /**
     * Returns the dtype of {@code descr}, or null if unsupported. The byte-order mark is ignored for single-byte
     * types, as numpy ignores it.
     */
    static NpyDtype fromDescr(String descr) {
        for (NpyDtype d : values()) {
            if (d.descr.equals(descr)) {
                return d;
            }
            if (d.dataType.getNumOfBytes() == 1 && descr.length() == 3 && "<>=|".indexOf(descr.charAt(0)) >= 0
                    && descr.regionMatches(1, d.descr, 1, 2)) {
                return d;
            }
        }
        return null;
    }

    static NpyDtype fromDataType(DataType type) {
        for (NpyDtype d : values()) {
            if (d.dataType == type) {
                return d;
            }
        }
        return null;
    }

    static String supportedDescrs() {
        return Arrays.stream(values()).map(NpyDtype::descr).collect(Collectors.joining(" "));
    }
}
