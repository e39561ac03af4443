package io.moxie.gateway.impl.wire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The gatherer passes every byte on in order, and each large message it sees whole as one buffer. */
class MessageGathererTest {
    private static final int MAX = 8 << 20;

    /** A gRPC length-prefixed message of {@code length} random bytes. */
    private static byte[] message(Random r, int length, boolean compressed) {
        byte[] m = new byte[5 + length];
        m[0] = (byte) (compressed ? 1 : 0);
        m[1] = (byte) (length >>> 24);
        m[2] = (byte) (length >>> 16);
        m[3] = (byte) (length >>> 8);
        m[4] = (byte) length;
        for (int i = 5; i < m.length; i++) {
            m[i] = (byte) r.nextInt();
        }
        return m;
    }

    private static List<Buffer> feed(byte[] stream, int[] cuts) {
        List<Buffer> out = new ArrayList<>();
        MessageGatherer g = new MessageGatherer(MAX, out::add);
        int from = 0;
        for (int cut : cuts) {
            g.receive(Buffer.buffer().appendBytes(stream, from, cut - from));
            from = cut;
        }
        g.receive(Buffer.buffer().appendBytes(stream, from, stream.length - from));
        g.flush();
        return out;
    }

    private static byte[] concat(List<Buffer> parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        parts.forEach(p -> b.writeBytes(p.getBytes()));
        return b.toByteArray();
    }

    @Test
    void randomChunkingsOfMixedMessagesKeepEveryByteInOrder() {
        Random r = new Random(7);
        int[] sizes = {0, 3, 100, MessageGatherer.MIN_GATHERED - 1, MessageGatherer.MIN_GATHERED, 200_000, 17, 1 << 20,
                MAX + 1, 5};
        for (int round = 0; round < 40; round++) {
            ByteArrayOutputStream s = new ByteArrayOutputStream();
            List<int[]> large = new ArrayList<>(); // [start, end) in the stream
            for (int size : sizes) {
                if (size > MAX && round % 2 == 1) {
                    continue; // an oversized declaration is only ever the last message (the server stops there)
                }
                byte[] m = size > MAX ? header(size) : message(r, size, r.nextBoolean());
                if (size >= MessageGatherer.MIN_GATHERED && size <= MAX) {
                    large.add(new int[] {s.size(), s.size() + m.length});
                }
                s.writeBytes(m);
                if (size > MAX) {
                    break;
                }
            }
            byte[] stream = s.toByteArray();
            int[] cuts = cuts(r, stream.length, round % 3 == 0 ? 16_384 : 1 + r.nextInt(70_000));
            List<Buffer> out = feed(stream, cuts);
            assertArrayEquals(stream, concat(out), "round " + round);
            for (int[] m : large) {
                // the message (prefix included) lies within one buffer handed on
                int at = 0;
                boolean whole = false;
                for (Buffer b : out) {
                    whole |= at <= m[0] && m[1] <= at + b.length();
                    at += b.length();
                }
                assertTrue(whole, "round " + round + ": a " + (m[1] - m[0] - 5) + "-byte message was split");
            }
        }
    }

    @Test
    void prefixSplitAcrossChunks() {
        Random r = new Random(3);
        byte[] small = message(r, 10, false);
        byte[] large = message(r, 100_000, false);
        byte[] stream = new byte[small.length + large.length];
        System.arraycopy(small, 0, stream, 0, small.length);
        System.arraycopy(large, 0, stream, small.length, large.length);
        for (int split = small.length; split <= small.length + 5; split++) {
            List<Buffer> out = feed(stream, new int[] {split, split + 3, split + 40_000});
            assertArrayEquals(stream, concat(out));
            assertArrayEquals(large, out.get(out.size() - 1).getBytes(), "split at " + split);
        }
        // the prefix of a small message split across chunks: held back, then passed on
        byte[] two = new byte[small.length * 2];
        System.arraycopy(small, 0, two, 0, small.length);
        System.arraycopy(small, 0, two, small.length, small.length);
        assertArrayEquals(two, concat(feed(two, new int[] {small.length + 2})));
    }

    @Test
    void aBodyThatEndsEarlyIsPassedOnAtTheEnd() {
        Random r = new Random(5);
        byte[] large = message(r, 300_000, false);
        byte[] cut = java.util.Arrays.copyOf(large, 150_000);
        List<Buffer> out = feed(cut, new int[] {16_384, 32_768});
        assertArrayEquals(cut, concat(out));
        byte[] prefixOnly = java.util.Arrays.copyOf(large, 3);
        assertArrayEquals(prefixOnly, concat(feed(prefixOnly, new int[0])));
    }

    @Test
    void aWholeMessageInOneChunkIsPassedOnAsItIs() {
        Random r = new Random(9);
        byte[] large = message(r, 100_000, false);
        List<Buffer> out = new ArrayList<>();
        MessageGatherer g = new MessageGatherer(MAX, out::add);
        Buffer chunk = Buffer.buffer(large);
        g.receive(chunk);
        assertEquals(1, out.size());
        assertTrue(out.get(0) == chunk, "no copy when nothing needs gathering");
    }

    private static byte[] header(long declared) {
        return new byte[] {0, (byte) (declared >>> 24), (byte) (declared >>> 16), (byte) (declared >>> 8), (byte) declared};
    }

    private static int[] cuts(Random r, int length, int typical) {
        List<Integer> c = new ArrayList<>();
        int at = 0;
        while (true) {
            at += 1 + r.nextInt(2 * typical);
            if (at >= length) {
                break;
            }
            c.add(at);
        }
        return c.stream().mapToInt(Integer::intValue).toArray();
    }
}
