package io.moxie.kernel.io;

import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.moxie.api.ModelFormatException;
import io.moxie.kernel.tensor.HostTensor;
import java.io.EOFException;
import java.io.IOException;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A safetensors checkpoint opened for reading: an 8-byte little-endian header length N, N bytes of JSON header
 * ({@code {key: {dtype, shape, data_offsets: [begin, end]}}} plus an optional {@code "__metadata__"} object of
 * strings), then the tensor data, which is memory-mapped read-only.
 *
 * <p>{@link #open} validates the whole header before returning: JSON syntax, every entry's dtype, shape and offsets,
 * that each tensor's byte count is {@code product(shape) * itemsize}, that it lies within the data, and that no two
 * tensors overlap. Any failure is a {@link ModelFormatException} naming the file and the key or problem; reading
 * a valid file afterwards cannot fail on its format. Dtypes: F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16,
 * U8, BOOL. Gaps between tensors and bytes after the last one are tolerated; a single tensor over 2 GiB is refused.
 *
 * <p>Thread-safe: after {@code open} the object is immutable, so any number of threads may read from it. Reads after
 * {@link #close} throw {@link IllegalStateException}.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** A larger header is no checkpoint; the Rust safetensors library draws the same line. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    private final Path path;
    private final SafetensorsHeader header;
    private final Map<String, ByteBuffer> views;
    private volatile boolean closed;

    private SafetensorsFile(Path path, SafetensorsHeader header, Map<String, ByteBuffer> views) {
        this.path = path;
        this.header = header;
        this.views = views;
    }

    /**
     * Opens and validates {@code path}.
     *
     * @throws ModelFormatException if the file is missing, unreadable or not a valid safetensors file; the message
     *     names the file and the key or problem
     */
    public static SafetensorsFile open(Path path) {
        return open(path, Integer.MAX_VALUE);
    }

    /** As {@link #open(Path)}, mapping the data in windows of at most {@code maxWindowBytes}; for tests. */
    static SafetensorsFile open(Path path, long maxWindowBytes) {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) {
                throw fail(path, "file is " + size + " bytes, shorter than the 8-byte header length");
            }
            long headerLength = readFully(channel, 0, 8).getLong(0);
            // unsigned in the format: a negative long is a length beyond 2^63
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw fail(path, "header length " + Long.toUnsignedString(headerLength)
                        + " is absurd (over 100 MB): not a safetensors file?");
            }
            if (headerLength > size - 8) {
                throw fail(path, "header length " + headerLength + " runs past the end of the file (" + size
                        + " bytes)");
            }
            byte[] json = new byte[(int) headerLength];
            readFully(channel, 8, (int) headerLength).get(json);
            long dataStart = 8 + headerLength;
            SafetensorsHeader header = SafetensorsHeader.parse(json, path.toString(), size - dataStart);
            // the mapping stays valid after the channel closes (FileChannel.map's contract)
            Map<String, ByteBuffer> views = mapTensors(channel, dataStart, header, maxWindowBytes, path);
            return new SafetensorsFile(path, header, views);
        } catch (NoSuchFileException e) {
            throw new ModelFormatException(path + ": no such file", e);
        } catch (IOException e) {
            throw new ModelFormatException(path + ": cannot read: " + e, e);
        }
    }

    /**
     * Maps the data in as few windows as the 2 GiB limit of a {@link ByteBuffer} allows and returns each tensor's
     * slice. Windows start and end on tensor boundaries, so no tensor straddles two.
     */
    private static Map<String, ByteBuffer> mapTensors(FileChannel channel, long dataStart, SafetensorsHeader header,
            long maxWindowBytes, Path path) throws IOException {
        List<SafetensorsHeader.Entry> byOffset = new ArrayList<>(header.entries().values());
        byOffset.sort(Comparator.comparingLong(SafetensorsHeader.Entry::begin));
        Map<String, ByteBuffer> views = new HashMap<>();
        int i = 0;
        while (i < byOffset.size()) {
            long windowStart = byOffset.get(i).begin();
            int j = i;
            long windowEnd = windowStart;
            while (j < byOffset.size() && byOffset.get(j).end() - windowStart <= maxWindowBytes) {
                windowEnd = Math.max(windowEnd, byOffset.get(j).end());
                j++;
            }
            if (j == i) {
                SafetensorsHeader.Entry big = byOffset.get(i);
                throw fail(path, "tensor '" + big.name() + "' is " + big.byteCount()
                        + " bytes; tensors over " + maxWindowBytes + " bytes cannot be mapped");
            }
            ByteBuffer window = windowEnd == windowStart
                    ? ByteBuffer.allocate(0)
                    : channel.map(FileChannel.MapMode.READ_ONLY, dataStart + windowStart, windowEnd - windowStart);
            for (SafetensorsHeader.Entry e : byOffset.subList(i, j)) {
                ByteBuffer view = window.slice((int) (e.begin() - windowStart), (int) e.byteCount());
                views.put(e.name(), view.asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN));
            }
            i = j;
        }
        return views;
    }

    private static ByteBuffer readFully(FileChannel channel, long position, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        while (buf.hasRemaining()) {
            if (channel.read(buf, position + buf.position()) < 0) {
                throw new EOFException("unexpected end of file");
            }
        }
        return buf.flip();
    }

    /** The file this was opened from. */
    public Path path() {
        return path;
    }

    /** Tensor keys in the order of the file's header ({@code __metadata__} excluded); unmodifiable. */
    public Set<String> keys() {
        checkOpen();
        return header.entries().keySet();
    }

    public boolean contains(String key) {
        checkOpen();
        return header.entries().containsKey(key);
    }

    /**
     * @throws ModelFormatException if there is no tensor {@code key}
     */
    public Shape shape(String key) {
        return new Shape(entry(key).shape());
    }

    /**
     * The dtype the tensor is stored as (F16 is {@link DataType#FLOAT16}, BF16 {@link DataType#BFLOAT16}, BOOL
     * {@link DataType#BOOLEAN} and so on).
     *
     * @throws ModelFormatException if there is no tensor {@code key}
     */
    public DataType storedType(String key) {
        return entry(key).dtype().dataType();
    }

    /** The {@code __metadata__} strings in file order; empty if the file has none. Unmodifiable. */
    public Map<String, String> metadata() {
        checkOpen();
        return header.metadata();
    }

    /**
     * Copies tensor {@code key} to the heap in its stored dtype. The result is independent of this file and of the
     * mapping: the caller owns it, and it survives {@link #close}.
     *
     * @throws ModelFormatException if there is no tensor {@code key}
     */
    public HostTensor read(String key) {
        SafetensorsHeader.Entry e = entry(key);
        ByteBuffer view = views.get(key);
        ByteBuffer copy = ByteBuffer.allocate(view.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        copy.put(view.duplicate()).flip();
        return new HostTensor(e.dtype().dataType(), e.shape(), copy);
    }

    /**
     * Reads tensor {@code key} as float32, converting F16, BF16 and F64 exactly as torch's {@code .float()} does (see
     * {@link Float32Widening}); F32 is copied unchanged. The caller owns the result.
     *
     * @throws ModelFormatException if there is no tensor {@code key}, or it is stored as an integer or BOOL (those
     *     are refused, not converted)
     */
    public HostTensor readFloat32(String key) {
        SafetensorsHeader.Entry e = entry(key);
        return switch (e.dtype()) {
            case F32 -> read(key);
            case F16, BF16, F64 -> {
                long count = e.byteCount() / e.dtype().itemSize();
                if (count * 4 > Integer.MAX_VALUE) {
                    throw fail(path, "tensor '" + key + "' is too large to convert to float32 (" + count
                            + " elements)");
                }
                yield new HostTensor(DataType.FLOAT32, e.shape(),
                        Float32Widening.widen(views.get(key), e.dtype().dataType(), (int) count));
            }
            default -> throw fail(path, "tensor '" + key + "' is stored as " + e.dtype()
                    + ", not a floating type; only F32, F16, BF16 and F64 convert to float32");
        };
    }

    /**
     * Copies tensor {@code key} into {@code target} at its position and advances it past the copy: floating-point
     * tensors as float32 (F16, BF16 and F64 converted as {@link #readFloat32} does), others in their stored dtype.
     * With {@code target} a view of engine-allocated memory, a weight is loaded with one copy and no buffer between.
     *
     * @throws ModelFormatException if there is no tensor {@code key}
     * @throws IllegalArgumentException if {@code target} is not little-endian (the file's order)
     * @throws BufferOverflowException if {@code target} has not room for the tensor
     */
    public void copyTo(String key, ByteBuffer target) {
        SafetensorsHeader.Entry e = entry(key);
        if (target.order() != ByteOrder.LITTLE_ENDIAN) {
            throw new IllegalArgumentException("target buffer must be little-endian, like the file");
        }
        switch (e.dtype()) {
            case F16, BF16, F64 -> {
                long count = e.byteCount() / e.dtype().itemSize();
                if (count * 4 > target.remaining()) {
                    throw new BufferOverflowException();
                }
                Float32Widening.widenInto(views.get(key), e.dtype().dataType(), (int) count, target);
            }
            default -> target.put(views.get(key).duplicate());
        }
    }

    /**
     * Returns tensor {@code key}'s bytes as a zero-copy, read-only, little-endian slice of the mapping, positioned at
     * 0. No copy is made: wrap it in {@code new HostTensor(storedType(key), shape(key).getShape(), view)} to use
     * the tensor without one.
     *
     * <p>The view stays readable after {@link #close} for as long as it is referenced (the mapping is released
     * when the last view is garbage-collected). The file must not be truncated or rewritten meanwhile: the JVM
     * then fails on access.
     *
     * @throws ModelFormatException if there is no tensor {@code key}
     */
    public ByteBuffer rawView(String key) {
        entry(key);
        return views.get(key).duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Ends this object's use; views already handed out stay valid (see {@link #rawView}). Idempotent. */
    @Override
    public void close() {
        closed = true;
    }

    private SafetensorsHeader.Entry entry(String key) {
        checkOpen();
        SafetensorsHeader.Entry e = header.entries().get(key);
        if (e == null) {
            throw fail(path, "no tensor '" + key + "'");
        }
        return e;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(path + " is closed");
        }
    }

    private static ModelFormatException fail(Path path, String problem) {
        return new ModelFormatException(path + ": " + problem);
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + header.entries().size() + " tensors]";
    }
}
