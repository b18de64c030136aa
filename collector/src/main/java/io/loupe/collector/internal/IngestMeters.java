package io.loupe.collector.internal;

import io.loupe.model.AppendResult;
import io.loupe.model.RejectReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** The collector's meters: requests by protocol, signal and outcome; points received and rejected by reason. */
public final class IngestMeters {
  /** What a request carried. */
  public enum Signal { METRICS, TRACES, LOGS }

  private final MeterRegistry registry;
  private final Counter samplesAccepted;
  private final Counter spansAccepted;
  private final EnumMap<RejectReason, Counter> samplesRejected = new EnumMap<>(RejectReason.class);
  private final EnumMap<RejectReason, Counter> spansRejected = new EnumMap<>(RejectReason.class);
  private final Map<String, Counter> requests = new ConcurrentHashMap<>();
  private final Map<String, Timer> latency = new ConcurrentHashMap<>();
  private final DistributionSummary requestBytes;

  public IngestMeters(MeterRegistry registry, InflightLimiter limiter) {
    this.registry = registry;
    samplesAccepted = Counter.builder("loupe.collector.samples.accepted")
        .description("Samples acknowledged to clients (in the WAL)").register(registry);
    spansAccepted = Counter.builder("loupe.collector.spans.accepted")
        .description("Spans acknowledged to clients (durable)").register(registry);
    for (RejectReason r : RejectReason.values()) {
      samplesRejected.put(r, Counter.builder("loupe.collector.samples.rejected").tag("reason", r.metricTag())
          .description("Samples and exemplars refused, by reason").register(registry));
      spansRejected.put(r, Counter.builder("loupe.collector.spans.rejected").tag("reason", r.metricTag())
          .description("Spans refused, by reason").register(registry));
    }
    requestBytes = DistributionSummary.builder("loupe.collector.request.size").baseUnit("bytes")
        .description("Request body size after decompression").register(registry);
    registry.gauge("loupe.collector.inflight.bytes", limiter, InflightLimiter::inflightBytes);
  }

  public void request(String protocol, Signal signal, String outcome, long nanos) {
    String key = protocol + '/' + signal + '/' + outcome;
    requests.computeIfAbsent(key, k -> Counter.builder("loupe.collector.requests")
        .tag("protocol", protocol).tag("signal", signal.name().toLowerCase(java.util.Locale.ROOT))
        .tag("outcome", outcome).description("Ingest requests by protocol, signal and outcome").register(registry))
        .increment();
    latency.computeIfAbsent(protocol + '/' + signal, k -> Timer.builder("loupe.collector.request.duration")
        .tag("protocol", protocol).tag("signal", signal.name().toLowerCase(java.util.Locale.ROOT))
        .description("Time from a decoded request to its acknowledgement")
        // Buckets, so dashboards can take p50/p99 across nodes with histogram_quantile (1 ms to 30 s: ~30 buckets).
        .publishPercentileHistogram().minimumExpectedValue(java.time.Duration.ofMillis(1))
        .maximumExpectedValue(java.time.Duration.ofSeconds(30)).register(registry))
        .record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
  }

  public void requestBytes(long n) {
    requestBytes.record(n);
  }

  public void samples(AppendResult r) {
    samplesAccepted.increment(r.accepted());
    r.rejected().forEach((reason, n) -> samplesRejected.get(reason).increment(n));
  }

  public void spans(AppendResult r) {
    spansAccepted.increment(r.accepted());
    r.rejected().forEach((reason, n) -> spansRejected.get(reason).increment(n));
  }
}
