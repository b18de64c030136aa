package io.loupe.collector.otlp.internal;

/** The OTLP metric kinds that decide which suffixes a Prometheus name gets. */
public enum MetricType {
  GAUGE, MONOTONIC_COUNTER, NON_MONOTONIC_COUNTER, HISTOGRAM, EXPONENTIAL_HISTOGRAM, SUMMARY, UNKNOWN
}
