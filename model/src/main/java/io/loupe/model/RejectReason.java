package io.loupe.model;

/**
 * Why a single point (sample, exemplar, span) was refused while the rest of its request was kept. The {@link
 * #metricTag()} is the {@code reason} tag of the rejection counters.
 */
public enum RejectReason {
  /** Older than the newest sample of its series by more than the out-of-order window. */
  TOO_OLD("too_old", "sample timestamp is too old for its series (outside the out-of-order window)"),
  /** Out of order and out-of-order ingestion is disabled. */
  OUT_OF_ORDER("out_of_order", "out of order sample"),
  /** Same timestamp as a stored sample, different value. */
  DUPLICATE_TIMESTAMP("duplicate_timestamp", "duplicate sample for timestamp with a different value"),
  /** The tenant's series limit was reached; the series would be new. */
  SERIES_LIMIT("series_limit", "per-tenant series limit reached"),
  /** Labels failed validation (name syntax, count, length). */
  INVALID_LABELS("invalid_labels", "invalid labels"),
  /** A timestamp that is not a valid time (NaN, negative, far future). */
  INVALID_TIMESTAMP("invalid_timestamp", "invalid timestamp"),
  /** OTLP delta temporality that cannot be converted (a gap or reset in the delta stream). */
  DELTA_TEMPORALITY("delta_temporality", "delta temporality point could not be converted to cumulative"),
  /** A point type Loupe does not store yet (exponential histograms until native histograms exist). */
  UNSUPPORTED_TYPE("unsupported_type", "unsupported point type"),
  /** A data point that is malformed (a histogram whose buckets do not fit its bounds, a point with no value). */
  MALFORMED_POINT("malformed_point", "malformed data point"),
  /** An exemplar that failed validation or was out of order. */
  INVALID_EXEMPLAR("invalid_exemplar", "invalid exemplar"),
  /** A span that failed validation (ids, times). */
  INVALID_SPAN("invalid_span", "invalid span"),
  /** A trace already has the maximum number of spans. */
  TRACE_TOO_LARGE("trace_too_large", "trace exceeds the maximum spans per trace");

  private final String metricTag;
  private final String description;

  RejectReason(String metricTag, String description) {
    this.metricTag = metricTag;
    this.description = description;
  }

  public String metricTag() {
    return metricTag;
  }

  public String description() {
    return description;
  }
}
