package io.loupe.tracestore.internal;

import io.loupe.model.RejectReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.EnumMap;
import java.util.Map;

/** The trace store's meters. */
public final class StoreMetrics {
  public final Counter spansWritten;
  public final Counter corruptions;
  public final Counter attributesTruncated;
  public final Counter rateLimited;
  public final Timer fsync;
  public final Timer sealWait;
  public final Counter traceIdMapOverflows;
  public final io.micrometer.core.instrument.DistributionSummary searchTracesRead;
  private final Map<RejectReason, Counter> rejected = new EnumMap<>(RejectReason.class);

  public StoreMetrics(MeterRegistry registry) {
    spansWritten = Counter.builder("loupe.tracestore.spans.written")
        .description("Spans durably appended to a segment").register(registry);
    corruptions = Counter.builder("loupe.tracestore.corruptions")
        .description("Torn or damaged records and files found at recovery or read time").register(registry);
    attributesTruncated = Counter.builder("loupe.tracestore.attributes.truncated")
        .description("Attribute values cut to the maximum attribute value length").register(registry);
    rateLimited = Counter.builder("loupe.tracestore.spans.rate_limited")
        .description("Spans of requests refused whole because their tenant was over its spans/s limit")
        .register(registry);
    traceIdMapOverflows = Counter.builder("loupe.tracestore.traceidmap.overflows")
        .description("Trace id map generations that ran out of room (lookups in their segments check every segment)")
        .register(registry);
    searchTracesRead = io.micrometer.core.instrument.DistributionSummary.builder("loupe.tracestore.search.traces_read")
        .description("Candidate traces a search read and checked span by span").register(registry);
    fsync = Timer.builder("loupe.tracestore.fsync").description("Segment fsync latency").register(registry);
    sealWait = Timer.builder("loupe.tracestore.seal.wait")
        .description("Time writes waited for rolled segments to seal (sealing slower than ingest)").register(registry);
    for (RejectReason r : RejectReason.values()) {
      rejected.put(r, Counter.builder("loupe.tracestore.spans.rejected").tag("reason", r.metricTag())
          .description("Spans refused by the trace store").register(registry));
    }
  }

  public Counter rejected(RejectReason r) {
    return rejected.get(r);
  }
}
