package io.loupe.model;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Map;

/**
 * One span as Loupe stores it: the OTLP span with its resource and scope flattened in, so a span is self-contained on
 * disk and in every API.
 *
 * <p>Ids are lowercase hex: {@code traceId} 32 characters, {@code spanId} 16, {@code parentSpanId} 16 or empty for a
 * root. Attribute values are {@code String}, {@code Boolean}, {@code Long}, {@code Double}, {@code byte[]}, a {@code
 * List} of those, or a {@code Map<String, Object>} of those (OTLP {@code kvlist}); maps keep their insertion order.
 */
public record SpanRecord(
    String traceId,
    String spanId,
    String parentSpanId,
    String traceState,
    String name,
    Kind kind,
    long startEpochNanos,
    long endEpochNanos,
    StatusCode statusCode,
    String statusMessage,
    Map<String, Object> resourceAttributes,
    String scopeName,
    String scopeVersion,
    Map<String, Object> attributes,
    List<Event> events,
    List<Link> links,
    int flags) {

  /** OTLP span kinds, in proto order. */
  public enum Kind { UNSPECIFIED, INTERNAL, SERVER, CLIENT, PRODUCER, CONSUMER }

  /** OTLP status codes, in proto order. */
  public enum StatusCode { UNSET, OK, ERROR }

  /** A timed event within a span. */
  public record Event(long epochNanos, String name, Map<String, Object> attributes) {
    public Event {
      requireNonNull(name, "name");
      attributes = attributes == null ? Map.of() : attributes;
    }
  }

  /** A link to another span. */
  public record Link(String traceId, String spanId, String traceState, Map<String, Object> attributes) {
    public Link {
      requireHex(traceId, 32, "link.traceId");
      requireHex(spanId, 16, "link.spanId");
      traceState = traceState == null ? "" : traceState;
      attributes = attributes == null ? Map.of() : attributes;
    }
  }

  public static final String SERVICE_NAME = "service.name";

  public SpanRecord {
    if (!requireHex(traceId, 32, "traceId")) {
      throw new InvalidInputException("traceId: all zeros (expected: a non-zero 16-byte id)");
    }
    if (!requireHex(spanId, 16, "spanId")) {
      throw new InvalidInputException("spanId: all zeros (expected: a non-zero 8-byte id)");
    }
    parentSpanId = parentSpanId == null ? "" : parentSpanId;
    if (!parentSpanId.isEmpty()) {
      requireHex(parentSpanId, 16, "parentSpanId");
    }
    traceState = traceState == null ? "" : traceState;
    requireNonNull(name, "name");
    requireNonNull(kind, "kind");
    requireNonNull(statusCode, "statusCode");
    statusMessage = statusMessage == null ? "" : statusMessage;
    if (endEpochNanos < startEpochNanos) {
      throw new InvalidInputException("span " + spanId + ": endTimeUnixNano " + endEpochNanos
          + " < startTimeUnixNano " + startEpochNanos + " (expected: end >= start)");
    }
    resourceAttributes = resourceAttributes == null ? Map.of() : resourceAttributes;
    scopeName = scopeName == null ? "" : scopeName;
    scopeVersion = scopeVersion == null ? "" : scopeVersion;
    attributes = attributes == null ? Map.of() : attributes;
    events = events == null ? List.of() : events;
    links = links == null ? List.of() : links;
  }

  /** The {@code service.name} resource attribute, or {@code unknown_service} as the OpenTelemetry SDKs default. */
  public String serviceName() {
    Object s = resourceAttributes.get(SERVICE_NAME);
    return s instanceof String str && !str.isEmpty() ? str : "unknown_service";
  }

  public boolean isRoot() {
    return parentSpanId.isEmpty();
  }

  public long durationNanos() {
    return endEpochNanos - startEpochNanos;
  }

  private static final boolean[] LOWER_HEX = new boolean[128];

  static {
    for (char c : "0123456789abcdef".toCharArray()) {
      LOWER_HEX[c] = true;
    }
  }

  /**
   * Throws unless {@code s} is {@code length} lowercase hex digits; returns whether any digit is not '0'. Runs for
   * every id of every span ingested, so one table lookup per char and the zero test folded in.
   */
  static boolean requireHex(String s, int length, String field) {
    requireNonNull(s, field);
    if (s.length() != length) {
      throw new InvalidInputException(
          field + ": '" + s + "' has " + s.length() + " hex digits (expected: " + length + ")");
    }
    boolean hex = true;
    int nonZero = 0;
    for (int i = 0; i < length; i++) {
      char c = s.charAt(i);
      hex &= c < 128 && LOWER_HEX[c];
      nonZero |= c ^ '0';
    }
    if (!hex) {
      throw new InvalidInputException(field + ": '" + s + "' (expected: lowercase hex)");
    }
    return nonZero != 0;
  }
}
