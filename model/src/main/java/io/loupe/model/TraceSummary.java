package io.loupe.model;

import static java.util.Objects.requireNonNull;

/**
 * One trace found by a search: its root span's service and name (the earliest span's when the root has not arrived),
 * the trace's start, its duration (latest end minus earliest start over all its spans) and its span count.
 */
public record TraceSummary(
    String traceId, String rootServiceName, String rootSpanName, long startEpochNanos, long durationNanos,
    int spanCount) {
  public TraceSummary {
    requireNonNull(traceId, "traceId");
    requireNonNull(rootServiceName, "rootServiceName");
    requireNonNull(rootSpanName, "rootSpanName");
  }
}
