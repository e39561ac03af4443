package io.moxie.gateway.impl.wire;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageLite;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.grpc.common.CodecException;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.WireFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

/**
 * Protobuf codecs for the tensor-carrying gRPC methods that do not copy tensor bytes.
 *
 * <p>The generated Vert.x bindings decode with {@code parser.parseFrom(payload.getBytes())} (the payload copied
 * into a new array, then every {@code bytes} field copied again by the parser) and encode with
 * {@code Buffer.buffer(msg.toByteArray())} (serialized into one array, then copied into another). For a 2.4 MB
 * tensor that is four multi-megabyte copies and allocations per call. Here:
 * <ul>
 * <li>{@link #decoder} parses the received buffer in place with aliasing: {@code bytes} fields (raw tensor
 * contents) are views of it, so the tensor reaches the kernel without a copy. Safe because Vert.x heap buffers are
 * not pooled (the garbage collector owns them) and a received message's bytes are never written again.</li>
 * <li>{@link #encoder} serializes into one array of the exact size, wrapped without a copy.</li>
 * <li>{@link #rawTailEncoder} also leaves a message's large trailing {@code repeated bytes} field (KServe's
 * {@code raw_output_contents}) out of the serialized array: its byte strings are referenced, and only the gRPC
 * framing copies them, once, into the outgoing buffer.</li>
 * </ul>
 * JSON (gRPC with {@code +json}) falls back to the standard codecs. Reaches the bytes of a Vert.x buffer through
 * {@code BufferInternal.getByteBuf()} (internal API; a buffer without an accessible array is decoded the standard
 * way).
 */
public final class ZeroCopyCodec {
    /** Byte fields shorter than this in total are simply serialized with the rest. */
    static final int MIN_REFERENCED = 32 << 10;

    private ZeroCopyCodec() {
    }

    /** A decoder whose {@code bytes} fields share the received buffer. */
    @SuppressWarnings("unchecked")
    public static <T extends Message> GrpcMessageDecoder<T> decoder(T prototype) {
        Parser<T> parser = (Parser<T>) prototype.getParserForType();
        GrpcMessageDecoder<T> standard = GrpcMessageDecoder.decoder(prototype);
        return new GrpcMessageDecoder<>() {
            @Override
            public T decode(GrpcMessage msg) throws CodecException {
                if (msg.format() != WireFormat.PROTOBUF || !(msg.payload() instanceof BufferInternal payload)) {
                    return standard.decode(msg);
                }
                ByteBuf bytes = payload.getByteBuf();
                if (!bytes.hasArray()) {
                    return standard.decode(msg);
                }
                return parse(parser, bytes.array(), bytes.arrayOffset() + bytes.readerIndex(), bytes.readableBytes());
            }

            @Override
            public boolean accepts(WireFormat format) {
                return standard.accepts(format);
            }
        };
    }

    /** Parses {@code length} bytes of {@code array} with aliasing: the array must not change afterwards. */
    static <T> T parse(Parser<T> parser, byte[] array, int offset, int length) throws CodecException {
        // a wrapped byte string reads as immutable, the condition for aliasing
        CodedInputStream in = UnsafeByteOperations.unsafeWrap(array, offset, length).newCodedInput();
        in.enableAliasing(true);
        try {
            return parser.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw new CodecException(e);
        }
    }

    /** An encoder that serializes into one array of the exact size. */
    public static <T extends MessageLite> GrpcMessageEncoder<T> encoder() {
        GrpcMessageEncoder<T> standard = GrpcMessageEncoder.encoder();
        return new GrpcMessageEncoder<>() {
            @Override
            public GrpcMessage encode(T msg, WireFormat format) throws CodecException {
                if (format != WireFormat.PROTOBUF) {
                    return standard.encode(msg, format);
                }
                return GrpcMessage.message("identity", WireFormat.PROTOBUF, wrap(msg.toByteArray()));
            }

            @Override
            public boolean accepts(WireFormat format) {
                return standard.accepts(format);
            }
        };
    }

    /**
     * An encoder for messages whose {@code repeated bytes} field {@code field} carries the bulk of the data and
     * has the highest field number, so that serializing the rest and appending that field gives exactly the
     * bytes protobuf would (fields in number order).
     *
     * @param rest the message without the field
     * @param values the field's values
     */
    public static <T extends MessageLite> GrpcMessageEncoder<T> rawTailEncoder(int field, Function<T, T> rest,
                                                                               Function<T, List<ByteString>> values) {
        GrpcMessageEncoder<T> standard = encoder();
        return new GrpcMessageEncoder<>() {
            @Override
            public GrpcMessage encode(T msg, WireFormat format) throws CodecException {
                List<ByteString> tail = values.apply(msg);
                long total = 0;
                for (ByteString b : tail) {
                    total += b.size();
                }
                if (format != WireFormat.PROTOBUF || total < MIN_REFERENCED) {
                    return standard.encode(msg, format);
                }
                return GrpcMessage.message("identity", WireFormat.PROTOBUF,
                        BufferInternal.buffer(withTail(rest.apply(msg), field, tail)));
            }

            @Override
            public boolean accepts(WireFormat format) {
                return standard.accepts(format);
            }
        };
    }

    /** {@code head}'s serialization followed by {@code values} as field {@code field}, the values referenced. */
    static CompositeByteBuf withTail(MessageLite head, int field, List<ByteString> values) throws CodecException {
        References out = new References();
        out.writeLazy(head.toByteArray());
        try {
            for (ByteString value : values) {
                byte[] key = new byte[CodedOutputStream.computeTagSize(field)
                        + CodedOutputStream.computeUInt32SizeNoTag(value.size())];
                CodedOutputStream k = CodedOutputStream.newInstance(key);
                k.writeTag(field, com.google.protobuf.WireFormat.WIRETYPE_LENGTH_DELIMITED);
                k.writeUInt32NoTag(value.size());
                k.checkNoSpaceLeft();
                out.writeLazy(key);
                UnsafeByteOperations.unsafeWriteTo(value, out);
            }
        } catch (IOException e) {
            throw new CodecException(e);
        }
        return out.buffer;
    }

    private static Buffer wrap(byte[] bytes) {
        return BufferInternal.buffer(Unpooled.wrappedBuffer(bytes));
    }

    /** Collects what a byte string hands over as components of one composite buffer, referencing, not copying. */
    private static final class References extends ByteOutput {
        // no limit on components: past it, netty would consolidate them (copy)
        final CompositeByteBuf buffer = Unpooled.compositeBuffer(Integer.MAX_VALUE);

        void writeLazy(byte[] value) {
            writeLazy(value, 0, value.length);
        }

        @Override
        public void writeLazy(byte[] value, int offset, int length) {
            if (length > 0) {
                buffer.addComponent(true, Unpooled.wrappedBuffer(value, offset, length));
            }
        }

        @Override
        public void writeLazy(ByteBuffer value) {
            if (value.hasRemaining()) {
                buffer.addComponent(true, Unpooled.wrappedBuffer(value.slice()));
            }
        }

        // the eager variants may be handed a buffer that is reused afterwards: copy
        @Override
        public void write(byte value) {
            writeLazy(new byte[] {value});
        }

        @Override
        public void write(byte[] value, int offset, int length) {
            writeLazy(Arrays.copyOfRange(value, offset, offset + length));
        }

        @Override
        public void write(ByteBuffer value) {
            byte[] copy = new byte[value.remaining()];
            value.duplicate().get(copy);
            writeLazy(copy);
        }
    }
}
