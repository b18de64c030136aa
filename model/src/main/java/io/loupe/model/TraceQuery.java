package io.loupe.model;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * A trace search: traces having at least one span, started within {@code [startEpochNanos, endEpochNanos]}, that
 * matches every given simple condition (service, name, kind, status, attributes, duration: Jaeger's search) at once,
 * and, for each of {@code spanFilters} (TraceQL span sets), a span matching it. Null or empty strings and null kind/status mean "any"; {@code
 * maxDurationNanos} of {@link Long#MAX_VALUE} means no upper bound. Results are at most {@code limit} traces, newest
 * first.
 */
public record TraceQuery(
    long startEpochNanos,
    long endEpochNanos,
    String serviceName,
    String spanName,
    SpanRecord.Kind kind,
    SpanRecord.StatusCode statusCode,
    List<AttributeCondition> attributes,
    long minDurationNanos,
    long maxDurationNanos,
    int limit,
    List<SpanFilter> spanFilters) {

  public static final int MAX_LIMIT = 10_000;

  public TraceQuery {
    serviceName = serviceName == null ? "" : serviceName;
    spanName = spanName == null ? "" : spanName;
    attributes = attributes == null ? List.of() : List.copyOf(attributes);
    spanFilters = spanFilters == null ? List.of() : List.copyOf(spanFilters);
    if (endEpochNanos < startEpochNanos) {
      throw new InvalidInputException(
          "search range: end " + endEpochNanos + " < start " + startEpochNanos + " (expected: end >= start)");
    }
    if (minDurationNanos < 0) {
      throw new InvalidInputException("minDuration: " + minDurationNanos + "ns (expected: >= 0)");
    }
    if (maxDurationNanos < minDurationNanos) {
      throw new InvalidInputException("maxDuration: " + maxDurationNanos + "ns < minDuration " + minDurationNanos
          + "ns (expected: max >= min)");
    }
    if (limit < 1 || limit > MAX_LIMIT) {
      throw new InvalidInputException("limit: " + limit + " (expected: 1 to " + MAX_LIMIT + ")");
    }
  }

  /** Every trace in the time range, up to {@code limit}. */
  public static TraceQuery between(long startEpochNanos, long endEpochNanos, int limit) {
    return new TraceQuery(startEpochNanos, endEpochNanos, "", "", null, null, List.of(), 0, Long.MAX_VALUE, limit,
        List.of());
  }

  public TraceQuery withService(String s) {
    return new TraceQuery(startEpochNanos, endEpochNanos, s, spanName, kind, statusCode, attributes,
        minDurationNanos, maxDurationNanos, limit, spanFilters);
  }

  public TraceQuery withSpanName(String s) {
    return new TraceQuery(startEpochNanos, endEpochNanos, serviceName, s, kind, statusCode, attributes,
        minDurationNanos, maxDurationNanos, limit, spanFilters);
  }

  public TraceQuery withKind(SpanRecord.Kind k) {
    return new TraceQuery(startEpochNanos, endEpochNanos, serviceName, spanName, k, statusCode, attributes,
        minDurationNanos, maxDurationNanos, limit, spanFilters);
  }

  public TraceQuery withStatusCode(SpanRecord.StatusCode c) {
    return new TraceQuery(startEpochNanos, endEpochNanos, serviceName, spanName, kind, c, attributes,
        minDurationNanos, maxDurationNanos, limit, spanFilters);
  }

  public TraceQuery withAttributes(List<AttributeCondition> a) {
    return new TraceQuery(startEpochNanos, endEpochNanos, serviceName, spanName, kind, statusCode, a,
        minDurationNanos, maxDurationNanos, limit, spanFilters);
  }

  /** Adds TraceQL-style span sets: each must be matched by some span of a returned trace. */
  public TraceQuery withSpanFilters(List<SpanFilter> f) {
    return new TraceQuery(startEpochNanos, endEpochNanos, serviceName, spanName, kind, statusCode, attributes,
        minDurationNanos, maxDurationNanos, limit, f);
  }

  public TraceQuery withLimit(int n) {
    return new TraceQuery(startEpochNanos, endEpochNanos, serviceName, spanName, kind, statusCode, attributes,
        minDurationNanos, maxDurationNanos, n, spanFilters);
  }

  public TraceQuery withDuration(long minNanos, long maxNanos) {
    return new TraceQuery(startEpochNanos, endEpochNanos, serviceName, spanName, kind, statusCode, attributes,
        minNanos, maxNanos, limit, spanFilters);
  }
}
