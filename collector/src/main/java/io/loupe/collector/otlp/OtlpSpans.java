package io.loupe.collector.otlp;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.ByteString;
import io.loupe.collector.otlp.internal.AnyValues;
import io.loupe.collector.otlp.internal.Hex;
import io.loupe.collector.otlp.internal.SpanDecoder;
import io.loupe.model.AppendResult;
import io.loupe.model.InvalidInputException;
import io.loupe.model.RejectReason;
import io.loupe.model.SpanRecord;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * OTLP spans → {@link SpanRecord}s, with resource and scope flattened into every span. Invalid spans (bad id lengths,
 * all-zero ids, no start time, end before start, bad link ids) are left out and counted in the result as {@link
 * RejectReason#INVALID_SPAN}, each with a message naming the span; the rest of the request is kept.
 */
public final class OtlpSpans {
  private static final SpanRecord.Kind[] KINDS = SpanRecord.Kind.values();
  private static final SpanRecord.StatusCode[] CODES = SpanRecord.StatusCode.values();

  private OtlpSpans() {}

  /**
   * The spans of an OTLP/protobuf {@code ExportTraceServiceRequest} body: the same records and the same rejections as
   * {@link #toSpanRecords} of the parsed request, decoded straight from the bytes (about 2x faster: no generated
   * message objects, and ids, keys and short values that repeat within the request decoded once).
   *
   * @throws InvalidInputException if {@code body} is not a well-formed protobuf message (the message names the byte)
   */
  public static List<SpanRecord> decode(byte[] body, AppendResult.Builder result) {
    requireNonNull(body, "body");
    requireNonNull(result, "result");
    return SpanDecoder.decode(body, result);
  }

  public static List<SpanRecord> toSpanRecords(ExportTraceServiceRequest req, AppendResult.Builder result) {
    requireNonNull(req, "req");
    requireNonNull(result, "result");
    int total = 0;
    for (ResourceSpans rs : req.getResourceSpansList()) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        total += ss.getSpansCount();
      }
    }
    List<SpanRecord> out = new ArrayList<>(total);
    for (ResourceSpans rs : req.getResourceSpansList()) {
      // One map shared by every span of the resource: spans are immutable once built.
      Map<String, Object> resource = AnyValues.toJava(rs.getResource().getAttributesList());
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        String scopeName = ss.getScope().getName();
        String scopeVersion = ss.getScope().getVersion();
        for (Span span : ss.getSpansList()) {
          String problem = validate(span);
          if (problem != null) {
            result.reject(RejectReason.INVALID_SPAN, describe(span) + ": " + problem);
            continue;
          }
          try {
            out.add(convert(span, resource, scopeName, scopeVersion));
          } catch (InvalidInputException e) { // the record's own checks, should validate() miss one
            result.reject(RejectReason.INVALID_SPAN, describe(span) + ": " + e.getMessage());
          }
        }
      }
    }
    return out;
  }

  private static String validate(Span s) {
    String p = checkId(s.getTraceId(), 16, "trace_id");
    if (p == null) {
      p = checkId(s.getSpanId(), 8, "span_id");
    }
    if (p == null && !s.getParentSpanId().isEmpty()) {
      p = checkId(s.getParentSpanId(), 8, "parent_span_id");
    }
    if (p != null) {
      return p;
    }
    if (s.getStartTimeUnixNano() == 0) {
      return "start_time_unix_nano is not set";
    }
    // fixed64 nanoseconds past 2262 wrap to negative longs.
    if (s.getStartTimeUnixNano() < 0 || s.getEndTimeUnixNano() < 0) {
      return "start_time_unix_nano or end_time_unix_nano is past the year 2262";
    }
    if (s.getEndTimeUnixNano() < s.getStartTimeUnixNano()) {
      return "end_time_unix_nano " + s.getEndTimeUnixNano() + " < start_time_unix_nano " + s.getStartTimeUnixNano()
          + " (expected: end >= start)";
    }
    for (int i = 0; i < s.getLinksCount(); i++) {
      Span.Link l = s.getLinks(i);
      String lp = checkId(l.getTraceId(), 16, "links[" + i + "].trace_id");
      if (lp == null) {
        lp = checkId(l.getSpanId(), 8, "links[" + i + "].span_id");
      }
      if (lp != null) {
        return lp;
      }
    }
    return null;
  }

  private static String checkId(ByteString id, int bytes, String field) {
    if (id.size() != bytes) {
      return field + " has " + id.size() + " bytes (expected: " + bytes + ")";
    }
    if (Hex.allZero(id)) {
      return field + " is all zeros (expected: a non-zero id)";
    }
    return null;
  }

  private static String describe(Span s) {
    String name = s.getName();
    if (name.length() > 100) {
      name = name.substring(0, 100) + "...";
    }
    return "span '" + name + "' (trace_id " + abbreviateHex(s.getTraceId()) + ", span_id "
        + abbreviateHex(s.getSpanId()) + ")";
  }

  private static String abbreviateHex(ByteString id) {
    return id.isEmpty() ? "<empty>" : Hex.encode(id.size() > 32 ? id.substring(0, 32) : id);
  }

  private static SpanRecord convert(Span s, Map<String, Object> resource, String scopeName, String scopeVersion) {
    List<SpanRecord.Event> events = List.of();
    if (s.getEventsCount() > 0) {
      List<SpanRecord.Event> ev = new ArrayList<>(s.getEventsCount());
      for (Span.Event e : s.getEventsList()) {
        ev.add(new SpanRecord.Event(e.getTimeUnixNano(), e.getName(), AnyValues.toJava(e.getAttributesList())));
      }
      events = List.copyOf(ev);
    }
    List<SpanRecord.Link> links = List.of();
    if (s.getLinksCount() > 0) {
      List<SpanRecord.Link> ls = new ArrayList<>(s.getLinksCount());
      for (Span.Link l : s.getLinksList()) {
        ls.add(new SpanRecord.Link(Hex.encode(l.getTraceId()), Hex.encode(l.getSpanId()), l.getTraceState(),
            AnyValues.toJava(l.getAttributesList())));
      }
      links = List.copyOf(ls);
    }
    int kind = s.getKindValue();
    Status status = s.getStatus();
    int code = status.getCodeValue();
    return new SpanRecord(
        Hex.encode(s.getTraceId()),
        Hex.encode(s.getSpanId()),
        s.getParentSpanId().isEmpty() ? "" : Hex.encode(s.getParentSpanId()),
        s.getTraceState(),
        s.getName(),
        kind >= 0 && kind < KINDS.length ? KINDS[kind] : SpanRecord.Kind.UNSPECIFIED,
        s.getStartTimeUnixNano(),
        s.getEndTimeUnixNano(),
        code >= 0 && code < CODES.length ? CODES[code] : SpanRecord.StatusCode.UNSET,
        status.getMessage(),
        resource,
        scopeName,
        scopeVersion,
        AnyValues.toJava(s.getAttributesList()),
        events,
        links,
        s.getFlags());
  }
}
