package io.moxie.gateway.impl.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * A Prometheus histogram family, one set of cumulative buckets per combination of label values. Latencies are
 * observed in seconds ({@link #observeNanos}); other quantities (batch sizes) in their own unit ({@link #observe}).
 */
final class LabeledHistogram {
    /** Latency buckets from 100 us to 60 s: loopback calls take ~0.2 ms, a large model's forward pass seconds. */
    static final double[] LATENCY_BUCKETS = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
        0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

    private final String name;
    private final String help;
    private final List<String> labels;
    private final double[] bounds;
    private final Map<List<String>, Cell> cells = new ConcurrentHashMap<>();

    private static final class Cell {
        final LongAdder[] buckets;
        final LongAdder count = new LongAdder();
        final DoubleAdder sum = new DoubleAdder();

        Cell(int n) {
            buckets = new LongAdder[n];
            for (int i = 0; i < n; i++) {
                buckets[i] = new LongAdder();
            }
        }
    }

    LabeledHistogram(String name, String help, double[] bounds, String... labels) {
        this.name = name;
        this.help = help;
        this.bounds = bounds.clone();
        this.labels = List.of(labels);
    }

    void observeNanos(long nanos, String... values) {
        observe(nanos / 1e9, values);
    }

    void observe(double seconds, String... values) {
        Cell c = cells.computeIfAbsent(List.of(values), k -> new Cell(bounds.length));
        for (int i = 0; i < bounds.length; i++) {
            if (seconds <= bounds[i]) {
                c.buckets[i].increment(); // non-cumulative here; summed when written
                break;
            }
        }
        c.count.increment();
        c.sum.add(seconds);
    }

    long count(String... values) {
        Cell c = cells.get(List.of(values));
        return c == null ? 0 : c.count.sum();
    }

    void writeTo(PrometheusText out) {
        out.header(name, help, "histogram");
        Map<String, Map.Entry<List<String>, Cell>> sorted = new TreeMap<>();
        cells.entrySet().forEach(e -> sorted.put(String.join("\u0000", e.getKey()), e));
        List<String> withLe = new ArrayList<>(labels);
        withLe.add("le");
        for (Map.Entry<List<String>, Cell> e : sorted.values()) {
            Cell c = e.getValue();
            long total = c.count.sum();
            long cumulative = 0;
            for (int i = 0; i < bounds.length; i++) {
                cumulative += c.buckets[i].sum();
                List<String> v = new ArrayList<>(e.getKey());
                v.add(PrometheusText.number(bounds[i]));
                out.sample(name + "_bucket", withLe, v, Math.min(cumulative, total));
            }
            List<String> inf = new ArrayList<>(e.getKey());
            inf.add("+Inf");
            out.sample(name + "_bucket", withLe, inf, total);
            out.sample(name + "_sum", labels, e.getKey(), c.sum.sum());
            out.sample(name + "_count", labels, e.getKey(), total);
        }
    }
}
