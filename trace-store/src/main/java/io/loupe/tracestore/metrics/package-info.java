/**
 * Metrics derived from spans, with Tempo metrics-generator names so that Grafana's service graph and APM views work
 * over the Prometheus datasource: {@link io.loupe.tracestore.metrics.SpanMetricsWriter} decorates a {@code
 * SpanWriter} and appends span metrics and service-graph edges to a {@code SeriesAppender} of the same tenant. Design
 * in docs/trace-store.md, section "Metrics from spans".
 */
package io.loupe.tracestore.metrics;
