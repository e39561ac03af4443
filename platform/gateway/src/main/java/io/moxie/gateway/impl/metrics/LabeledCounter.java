package io.moxie.gateway.impl.metrics;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** A Prometheus counter family: one monotonic count per combination of label values. Lock-free on the hot path. */
final class LabeledCounter {
    private final String name;
    private final String help;
    private final List<String> labels;
    private final Map<List<String>, LongAdder> cells = new ConcurrentHashMap<>();

    LabeledCounter(String name, String help, String... labels) {
        this.name = name;
        this.help = help;
        this.labels = List.of(labels);
    }

    void add(long n, String... values) {
        cells.computeIfAbsent(List.of(values), k -> new LongAdder()).add(n);
    }

    void inc(String... values) {
        add(1, values);
    }

    long get(String... values) {
        LongAdder a = cells.get(List.of(values));
        return a == null ? 0 : a.sum();
    }

    /** Returns the counts grouped by the first {@code n} label values (e.g. per pipeline and layer, over experts). */
    java.util.Map<List<String>, List<Double>> groups(int n) {
        java.util.Map<List<String>, List<Double>> out = new TreeMap<>((a, b) -> String.join("\u0000", a)
                .compareTo(String.join("\u0000", b)));
        cells.forEach((k, v) -> out.computeIfAbsent(k.subList(0, n), x -> new java.util.ArrayList<>()).add((double) v.sum()));
        return out;
    }

    void writeTo(PrometheusText out) {
        out.header(name, help, "counter");
        // sorted so scrapes are stable and diffable
        new TreeMap<>(cells.entrySet().stream().collect(java.util.stream.Collectors.toMap(
                e -> String.join("\u0000", e.getKey()), e -> e))).values()
                .forEach(e -> out.sample(name, labels, e.getKey(), e.getValue().sum()));
    }
}
