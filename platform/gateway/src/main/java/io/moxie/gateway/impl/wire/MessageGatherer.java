package io.moxie.gateway.impl.wire;

import io.vertx.core.buffer.Buffer;
import java.util.function.Consumer;

/**
 * The state machine of {@link CoalescingRequest}: reads the 5-byte gRPC message prefixes of a byte stream that
 * arrives in chunks, and passes every byte on, in order, either as it came or, for a large message, gathered into
 * one buffer holding the message with its prefix. Not thread-safe (one per request, used on its event loop).
 */
final class MessageGatherer {
    /** Messages smaller than this (a couple of DATA frames) pass through as they arrive. */
    static final int MIN_GATHERED = 32 << 10;
    /** A declared length is trusted for up to this many bytes up front; a larger message grows as it arrives. */
    static final int MAX_PREALLOCATED = 16 << 20;
    private static final int PREFIX = 5;

    private final long maxMessageBytes;
    private final Consumer<Buffer> out;
    private final byte[] prefix = new byte[PREFIX];
    private int prefixBytes;      // bytes of the next message's prefix seen so far and not passed on yet
    private long passing;         // bytes of the current message still to pass on untouched
    private Buffer gathering;     // the large message being gathered (its prefix included), or null
    private long missing;         // bytes the gathered message still lacks

    /**
     * @param maxMessageBytes messages declared larger are passed through (the gRPC server refuses them)
     * @param out receives the bytes
     */
    MessageGatherer(long maxMessageBytes, Consumer<Buffer> out) {
        this.maxMessageBytes = maxMessageBytes;
        this.out = out;
    }

    /** Splits a chunk into bytes passed through, prefixes held back and pieces of a gathered message. */
    void receive(Buffer chunk) {
        int n = chunk.length();
        int pos = 0;
        int from = 0; // start of the bytes of this chunk still to forward as they are
        while (pos < n) {
            if (gathering != null) {
                int take = (int) Math.min(missing, n - pos);
                gathering.appendBuffer(chunk, pos, take);
                pos += take;
                from = pos;
                missing -= take;
                if (missing == 0) {
                    Buffer message = gathering;
                    gathering = null;
                    out.accept(message);
                }
            } else if (passing > 0) {
                int take = (int) Math.min(passing, n - pos);
                pos += take;
                passing -= take;
            } else {
                // at a message prefix, possibly continued from the previous chunk
                int start = pos;
                int take = Math.min(PREFIX - prefixBytes, n - pos);
                chunk.getBytes(pos, pos + take, prefix, prefixBytes);
                prefixBytes += take;
                pos += take;
                if (prefixBytes < PREFIX) {
                    // the prefix ends in a later chunk: forward what precedes it, hold it back
                    forward(chunk, from, start);
                    from = n;
                    break;
                }
                boolean heldBack = take < PREFIX; // part of the prefix came with an earlier chunk
                prefixBytes = 0;
                long length = ((prefix[1] & 0xffL) << 24) | ((prefix[2] & 0xffL) << 16) | ((prefix[3] & 0xffL) << 8)
                        | (prefix[4] & 0xffL);
                if (length >= MIN_GATHERED && length <= maxMessageBytes && length > n - pos) {
                    forward(chunk, from, start);
                    gathering = Buffer.buffer((int) Math.min(PREFIX + length, MAX_PREALLOCATED));
                    gathering.appendBytes(prefix);
                    missing = length;
                    from = pos;
                } else {
                    if (heldBack) {
                        // this chunk starts inside the prefix: the held-back bytes go first
                        out.accept(Buffer.buffer().appendBytes(prefix, 0, PREFIX - take));
                    }
                    passing = length;
                }
            }
        }
        forward(chunk, from, n);
    }

    private void forward(Buffer chunk, int from, int to) {
        if (from >= to) {
            return;
        }
        out.accept(from == 0 && to == chunk.length() ? chunk : chunk.slice(from, to));
    }

    /** At the end of the body: whatever is still held goes on, so the gRPC server sees every byte. */
    void flush() {
        if (gathering != null) {
            Buffer partial = gathering;
            gathering = null;
            out.accept(partial);
        } else if (prefixBytes > 0) {
            out.accept(Buffer.buffer().appendBytes(prefix, 0, prefixBytes));
            prefixBytes = 0;
        }
    }
}
