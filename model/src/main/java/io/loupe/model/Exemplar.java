package io.loupe.model;

import static java.util.Objects.requireNonNull;

/**
 * A sample that points at the trace behind it: labels (conventionally {@code trace_id} and {@code span_id}), a value
 * and a timestamp in milliseconds.
 */
public record Exemplar(Labels labels, double value, long timestampMs) {
  public static final String TRACE_ID = "trace_id";
  public static final String SPAN_ID = "span_id";

  /** Prometheus limits the combined length of exemplar label names and values to 128 UTF-8 characters. */
  public static final int MAX_LABELS_RUNES = 128;

  public Exemplar {
    requireNonNull(labels, "labels");
  }
}
