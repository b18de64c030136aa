package io.loupe.query.trace.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import io.loupe.model.SpanRecord;
import java.io.IOException;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A trace in the JSON of Jaeger's query API ({@code /api/traces/<id>}), translated from OTLP as Jaeger's own OTLP
 * translator does: the parent as a {@code CHILD_OF} reference and links as {@code FOLLOWS_FROM}, times in
 * microseconds, kind and status as {@code span.kind}, {@code otel.status_code}, {@code otel.status_description} and
 * {@code error=true} tags, the scope as {@code otel.scope.name}/{@code otel.scope.version}, events as logs whose
 * {@code event} field is the name, and one process per distinct resource ({@code service.name} → {@code serviceName},
 * the other resource attributes → process tags).
 */
public final class JaegerJson {
  private JaegerJson() {}

  /** Writes one trace object; {@code spans} all belong to it. */
  public static void trace(JsonGenerator g, String traceId, List<SpanRecord> spans) throws IOException {
    List<SpanRecord> sorted = new ArrayList<>(spans);
    sorted.sort(Comparator.comparingLong(SpanRecord::startEpochNanos).thenComparing(SpanRecord::spanId));
    Map<Map<String, Object>, String> processIds = new LinkedHashMap<>();
    for (SpanRecord s : sorted) {
      processIds.computeIfAbsent(s.resourceAttributes(), k -> "p" + (processIds.size() + 1));
    }
    g.writeStartObject();
    g.writeStringField("traceID", TraceIds.jaeger(traceId));
    g.writeArrayFieldStart("spans");
    for (SpanRecord s : sorted) {
      span(g, s, processIds.get(s.resourceAttributes()));
    }
    g.writeEndArray();
    g.writeObjectFieldStart("processes");
    for (Map.Entry<Map<String, Object>, String> e : processIds.entrySet()) {
      g.writeObjectFieldStart(e.getValue());
      Object service = e.getKey().get(SpanRecord.SERVICE_NAME);
      g.writeStringField("serviceName",
          service instanceof String str && !str.isEmpty() ? str : "unknown_service");
      g.writeArrayFieldStart("tags");
      for (Map.Entry<String, Object> a : e.getKey().entrySet()) {
        if (!a.getKey().equals(SpanRecord.SERVICE_NAME)) {
          tag(g, a.getKey(), a.getValue());
        }
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    g.writeEndObject();
    g.writeNullField("warnings");
    g.writeEndObject();
  }

  private static void span(JsonGenerator g, SpanRecord s, String processId) throws IOException {
    g.writeStartObject();
    g.writeStringField("traceID", TraceIds.jaeger(s.traceId()));
    g.writeStringField("spanID", s.spanId());
    g.writeNumberField("flags", s.flags() & 0xff);
    g.writeStringField("operationName", s.name());
    g.writeArrayFieldStart("references");
    if (!s.parentSpanId().isEmpty()) {
      reference(g, "CHILD_OF", s.traceId(), s.parentSpanId());
    }
    for (SpanRecord.Link l : s.links()) {
      reference(g, "FOLLOWS_FROM", l.traceId(), l.spanId());
    }
    g.writeEndArray();
    g.writeNumberField("startTime", s.startEpochNanos() / 1000);
    g.writeNumberField("duration", s.durationNanos() / 1000);
    g.writeArrayFieldStart("tags");
    for (Map.Entry<String, Object> a : s.attributes().entrySet()) {
      tag(g, a.getKey(), a.getValue());
    }
    if (!s.scopeName().isEmpty()) {
      tag(g, "otel.scope.name", s.scopeName());
    }
    if (!s.scopeVersion().isEmpty()) {
      tag(g, "otel.scope.version", s.scopeVersion());
    }
    String kind = switch (s.kind()) {
      case SERVER -> "server";
      case CLIENT -> "client";
      case PRODUCER -> "producer";
      case CONSUMER -> "consumer";
      case INTERNAL -> "internal";
      case UNSPECIFIED -> null;
    };
    if (kind != null) {
      tag(g, "span.kind", kind);
    }
    if (s.statusCode() == SpanRecord.StatusCode.ERROR) {
      tag(g, "otel.status_code", "ERROR");
      tag(g, "error", Boolean.TRUE);
    } else if (s.statusCode() == SpanRecord.StatusCode.OK) {
      tag(g, "otel.status_code", "OK");
    }
    if (!s.statusMessage().isEmpty()) {
      tag(g, "otel.status_description", s.statusMessage());
    }
    if (!s.traceState().isEmpty()) {
      tag(g, "w3c.tracestate", s.traceState());
    }
    g.writeEndArray();
    g.writeArrayFieldStart("logs");
    for (SpanRecord.Event e : s.events()) {
      g.writeStartObject();
      g.writeNumberField("timestamp", e.epochNanos() / 1000);
      g.writeArrayFieldStart("fields");
      tag(g, "event", e.name());
      for (Map.Entry<String, Object> a : e.attributes().entrySet()) {
        tag(g, a.getKey(), a.getValue());
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeStringField("processID", processId);
    g.writeNullField("warnings");
    g.writeEndObject();
  }

  private static void reference(JsonGenerator g, String type, String traceId, String spanId) throws IOException {
    g.writeStartObject();
    g.writeStringField("refType", type);
    g.writeStringField("traceID", TraceIds.jaeger(traceId));
    g.writeStringField("spanID", spanId);
    g.writeEndObject();
  }

  /** A Jaeger key-value with its type: string, bool, int64, float64, binary (base64); lists and maps as JSON text. */
  private static void tag(JsonGenerator g, String key, Object v) throws IOException {
    g.writeStartObject();
    g.writeStringField("key", key);
    if (v instanceof Boolean b) {
      g.writeStringField("type", "bool");
      g.writeBooleanField("value", b);
    } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      g.writeStringField("type", "int64");
      g.writeNumberField("value", ((Number) v).longValue());
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      g.writeStringField("type", "float64");
      if (Double.isFinite(d)) {
        g.writeNumberField("value", d);
      } else {
        g.writeStringField("value", Double.isNaN(d) ? "NaN" : d > 0 ? "+Inf" : "-Inf");
      }
    } else if (v instanceof byte[] b) {
      g.writeStringField("type", "binary");
      g.writeStringField("value", Base64.getEncoder().encodeToString(b));
    } else if (v instanceof List<?> || v instanceof Map<?, ?>) {
      g.writeStringField("type", "string");
      g.writeStringField("value", jsonText(v));
    } else {
      g.writeStringField("type", "string");
      g.writeStringField("value", String.valueOf(v));
    }
    g.writeEndObject();
  }

  /** Lists and maps as plain JSON, as Jaeger's translator renders OTLP arrays and kvlists. */
  private static String jsonText(Object v) throws IOException {
    StringWriter w = new StringWriter();
    try (JsonGenerator g = io.loupe.query.api.internal.JsonResponses.JSON.createGenerator(w)) {
      plain(g, v);
    }
    return w.toString();
  }

  private static void plain(JsonGenerator g, Object v) throws IOException {
    if (v instanceof List<?> list) {
      g.writeStartArray();
      for (Object x : list) {
        plain(g, x);
      }
      g.writeEndArray();
    } else if (v instanceof Map<?, ?> m) {
      g.writeStartObject();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        g.writeFieldName(String.valueOf(e.getKey()));
        plain(g, e.getValue());
      }
      g.writeEndObject();
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof Long || v instanceof Integer) {
      g.writeNumber(((Number) v).longValue());
    } else if (v instanceof Double d && Double.isFinite(d)) {
      g.writeNumber(d);
    } else if (v instanceof byte[] b) {
      g.writeString(Base64.getEncoder().encodeToString(b));
    } else {
      g.writeString(String.valueOf(v));
    }
  }
}
