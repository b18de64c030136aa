package io.loupe.tracestore.metrics;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.List;

/**
 * Settings of {@link SpanMetricsWriter}. Defaults follow Tempo's metrics-generator: its latency buckets, a 15 s
 * collection interval, 10,000 unpaired span halves kept for 10 s, series idle for 15 min dropped.
 *
 * @param flushInterval how often, at most, the cumulative values of a series are appended
 * @param latencyBuckets upper bounds in seconds, strictly increasing, finite and &gt; 0; {@code +Inf} is implicit
 * @param maxSeriesPerTenant label sets kept in memory per tenant (one span-metrics label set carries the calls counter
 *     and the latency histogram; one edge carries every service-graph family); new ones beyond are dropped
 * @param seriesIdleTimeout a label set that saw no span for this long is forgotten (and marked stale in the store)
 * @param serviceGraphMaxItems unpaired client/server span halves kept per tenant (Tempo's {@code max_items})
 * @param serviceGraphWait how long an unpaired half waits for its other half (Tempo's {@code wait})
 */
public record SpanMetricsOptions(
    Duration flushInterval,
    List<Double> latencyBuckets,
    int maxSeriesPerTenant,
    Duration seriesIdleTimeout,
    int serviceGraphMaxItems,
    Duration serviceGraphWait) {

  /** Tempo's default latency buckets, in seconds. */
  public static final List<Double> TEMPO_BUCKETS =
      List.of(0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128, 0.256, 0.512, 1.02, 2.05, 4.10);

  public SpanMetricsOptions {
    requireNonNull(flushInterval, "flushInterval");
    requireNonNull(latencyBuckets, "latencyBuckets");
    requireNonNull(seriesIdleTimeout, "seriesIdleTimeout");
    requireNonNull(serviceGraphWait, "serviceGraphWait");
    if (flushInterval.isNegative()) {
      throw new IllegalArgumentException("flushInterval: " + flushInterval + " (expected: >= 0)");
    }
    latencyBuckets = List.copyOf(latencyBuckets);
    if (latencyBuckets.isEmpty()) {
      throw new IllegalArgumentException("latencyBuckets: empty (expected: at least one bound)");
    }
    double prev = 0;
    for (int i = 0; i < latencyBuckets.size(); i++) {
      double b = latencyBuckets.get(i);
      if (!(b > prev) || Double.isInfinite(b)) {
        throw new IllegalArgumentException("latencyBuckets[" + i + "]: " + b
            + " (expected: finite, > 0 and > the bound before it; +Inf is implicit)");
      }
      prev = b;
    }
    if (maxSeriesPerTenant <= 0) {
      throw new IllegalArgumentException("maxSeriesPerTenant: " + maxSeriesPerTenant + " (expected: > 0)");
    }
    if (seriesIdleTimeout.isNegative() || seriesIdleTimeout.isZero()) {
      throw new IllegalArgumentException("seriesIdleTimeout: " + seriesIdleTimeout + " (expected: > 0)");
    }
    if (serviceGraphMaxItems <= 0) {
      throw new IllegalArgumentException("serviceGraphMaxItems: " + serviceGraphMaxItems + " (expected: > 0)");
    }
    if (serviceGraphWait.isNegative()) {
      throw new IllegalArgumentException("serviceGraphWait: " + serviceGraphWait + " (expected: >= 0)");
    }
  }

  public static SpanMetricsOptions defaults() {
    return new SpanMetricsOptions(
        Duration.ofSeconds(15), TEMPO_BUCKETS, 10_000, Duration.ofMinutes(15), 10_000, Duration.ofSeconds(10));
  }

  public SpanMetricsOptions withFlushInterval(Duration d) {
    return new SpanMetricsOptions(
        d, latencyBuckets, maxSeriesPerTenant, seriesIdleTimeout, serviceGraphMaxItems, serviceGraphWait);
  }

  public SpanMetricsOptions withLatencyBuckets(List<Double> buckets) {
    return new SpanMetricsOptions(
        flushInterval, buckets, maxSeriesPerTenant, seriesIdleTimeout, serviceGraphMaxItems, serviceGraphWait);
  }

  public SpanMetricsOptions withMaxSeriesPerTenant(int n) {
    return new SpanMetricsOptions(
        flushInterval, latencyBuckets, n, seriesIdleTimeout, serviceGraphMaxItems, serviceGraphWait);
  }

  public SpanMetricsOptions withSeriesIdleTimeout(Duration d) {
    return new SpanMetricsOptions(
        flushInterval, latencyBuckets, maxSeriesPerTenant, d, serviceGraphMaxItems, serviceGraphWait);
  }

  public SpanMetricsOptions withServiceGraphMaxItems(int n) {
    return new SpanMetricsOptions(
        flushInterval, latencyBuckets, maxSeriesPerTenant, seriesIdleTimeout, n, serviceGraphWait);
  }

  public SpanMetricsOptions withServiceGraphWait(Duration d) {
    return new SpanMetricsOptions(
        flushInterval, latencyBuckets, maxSeriesPerTenant, seriesIdleTimeout, serviceGraphMaxItems, d);
  }
}
