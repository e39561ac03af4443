package io.moxie.encoders.pointcloud.decode;

import java.nio.ByteBuffer;
import java.util.Locale;

/** The scalar types of a PLY property, under both their classic and their sized names. */
enum PlyType {
    CHAR(1, "char", "int8"),
    UCHAR(1, "uchar", "uint8"),
    SHORT(2, "short", "int16"),
    USHORT(2, "ushort", "uint16"),
    INT(4, "int", "int32"),
    UINT(4, "uint", "uint32"),
    FLOAT(4, "float", "float32"),
    DOUBLE(8, "double", "float64");

    private final int bytes;
    private final String name;
    private final String sizedName;

    PlyType(int bytes, String name, String sizedName) {
        this.bytes = bytes;
        this.name = name;
        this.sizedName = sizedName;
    }

    /** Returns the type called {@code word}, or null when PLY has no such type. */
    static PlyType parse(String word) {
        String w = word.toLowerCase(Locale.ROOT);
        for (PlyType t : values()) {
            if (t.name.equals(w) || t.sizedName.equals(w)) {
                return t;
            }
        }
        return null;
    }

    int bytes() {
        return bytes;
    }

    boolean isFloatingPoint() {
        return this == FLOAT || this == DOUBLE;
    }

    /** Reads a value at {@code offset} of a little-endian buffer, widened to double (exact for every type). */
    double read(ByteBuffer le, int offset) {
        return switch (this) {
            case CHAR -> le.get(offset);
            case UCHAR -> le.get(offset) & 0xff;
            case SHORT -> le.getShort(offset);
            case USHORT -> le.getShort(offset) & 0xffff;
            case INT -> le.getInt(offset);
            case UINT -> le.getInt(offset) & 0xffffffffL;
            case FLOAT -> le.getFloat(offset);
            case DOUBLE -> le.getDouble(offset);
        };
    }

    @Override
    public String toString() {
        return name;
    }
}
