package io.loupe.loadtests.internal;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A pre-encoded workload: the requests in the order they are sent, and what they add up to.
 *
 * @param description one line for the summary, e.g. "20,000 series (193 targets x 104), 120 rounds of 15 s"
 * @param series distinct series (or, for traces, traces)
 * @param encodeNanos how long encoding took, before the clock started
 * @param warmup a valid request carrying no data (an empty WriteRequest or Export request), sent before the clock
 *     starts to open connections and load the client's classes: the first request of a cold JVM takes seconds
 */
public record Workload(String description, List<Prepared> requests, long series, long encodeNanos, byte[] warmup) {
  public Workload {
    requireNonNull(description, "description");
    requireNonNull(warmup, "warmup");
    requests = List.copyOf(requireNonNull(requests, "requests"));
  }

  /** The same workload with every body (and the warm-up) passed through {@code codec}, e.g. compressed. */
  public Workload mapBodies(java.util.function.UnaryOperator<byte[]> codec) {
    long t0 = System.nanoTime();
    List<Prepared> mapped = requests.parallelStream()
        .map(p -> new Prepared(codec.apply(p.body()), p.samples(), p.points(), p.notBeforeMillis(), p.stream())).toList();
    return new Workload(description, mapped, series, encodeNanos + System.nanoTime() - t0, codec.apply(warmup));
  }

  public long totalSamples() {
    long n = 0;
    for (Prepared p : requests) {
      n += p.samples();
    }
    return n;
  }

  public long totalBytes() {
    long n = 0;
    for (Prepared p : requests) {
      n += p.body().length;
    }
    return n;
  }
}
