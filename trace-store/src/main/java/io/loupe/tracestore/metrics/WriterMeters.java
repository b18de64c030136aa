package io.loupe.tracestore.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;

/** The writer's own meters (self-observability), shared by every tenant. */
final class WriterMeters {
  final AtomicLong series = new AtomicLong();
  final AtomicLong pending = new AtomicLong();
  final Counter edges;
  final Counter expired;
  final Counter failures;
  private final MeterRegistry registry;

  WriterMeters(MeterRegistry registry) {
    this.registry = registry;
    Gauge.builder("loupe.spanmetrics.series", series, AtomicLong::get)
        .description("Label sets of span metrics and service-graph edges kept in memory, all tenants")
        .register(registry);
    Gauge.builder("loupe.servicegraph.pending", pending, AtomicLong::get)
        .description("Client/server span halves waiting for their other half, all tenants")
        .register(registry);
    edges = Counter.builder("loupe.servicegraph.edges")
        .description("Requests recorded on service-graph edges (paired halves and virtual nodes)")
        .register(registry);
    expired = Counter.builder("loupe.servicegraph.expired")
        .description("Span halves whose other half did not arrive within the wait")
        .register(registry);
    failures = Counter.builder("loupe.spanmetrics.failures")
        .description("Write calls whose derived metrics could not be appended (the spans were stored)")
        .register(registry);
  }

  /** Counts points or label sets that were dropped, by reason. */
  Counter dropped(String reason) {
    return Counter.builder("loupe.spanmetrics.dropped")
        .description("Derived metrics dropped: a tenant limit, or points the metrics store refused")
        .tag("reason", reason)
        .register(registry);
  }
}
