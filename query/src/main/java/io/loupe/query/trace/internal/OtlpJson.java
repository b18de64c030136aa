package io.loupe.query.trace.internal;

import com.fasterxml.jackson.core.JsonGenerator;
import io.loupe.model.SpanRecord;
import java.io.IOException;
import java.util.Base64;
import java.util.List;
import java.util.Map;

/**
 * Spans in the OTLP JSON encoding (opentelemetry-proto's "JSON Protobuf Encoding"): lowerCamelCase field names, trace
 * and span ids as hex (not base64), 64-bit integers as strings, enums as integers, default values left out as protojson
 * does.
 */
public final class OtlpJson {
  private OtlpJson() {}

  /** {@code "resourceSpans":[...]} as a field of the current object. */
  public static void resourceSpansField(JsonGenerator g, List<SpanGroups.Resource> resources) throws IOException {
    g.writeArrayFieldStart("resourceSpans");
    for (SpanGroups.Resource r : resources) {
      g.writeStartObject();
      g.writeObjectFieldStart("resource");
      attributesField(g, r.attributes());
      g.writeEndObject();
      g.writeArrayFieldStart("scopeSpans");
      for (SpanGroups.Scope sc : r.scopes()) {
        g.writeStartObject();
        g.writeObjectFieldStart("scope");
        if (!sc.name().isEmpty()) {
          g.writeStringField("name", sc.name());
        }
        if (!sc.version().isEmpty()) {
          g.writeStringField("version", sc.version());
        }
        g.writeEndObject();
        g.writeArrayFieldStart("spans");
        for (SpanRecord s : sc.spans()) {
          span(g, s);
        }
        g.writeEndArray();
        g.writeEndObject();
      }
      g.writeEndArray();
      g.writeEndObject();
    }
    g.writeEndArray();
  }

  private static void span(JsonGenerator g, SpanRecord s) throws IOException {
    g.writeStartObject();
    g.writeStringField("traceId", s.traceId());
    g.writeStringField("spanId", s.spanId());
    if (!s.traceState().isEmpty()) {
      g.writeStringField("traceState", s.traceState());
    }
    if (!s.parentSpanId().isEmpty()) {
      g.writeStringField("parentSpanId", s.parentSpanId());
    }
    if (s.flags() != 0) {
      g.writeNumberField("flags", Integer.toUnsignedLong(s.flags()));
    }
    g.writeStringField("name", s.name());
    if (s.kind().ordinal() != 0) {
      g.writeNumberField("kind", s.kind().ordinal());
    }
    g.writeStringField("startTimeUnixNano", Long.toUnsignedString(s.startEpochNanos()));
    g.writeStringField("endTimeUnixNano", Long.toUnsignedString(s.endEpochNanos()));
    attributesField(g, s.attributes());
    if (!s.events().isEmpty()) {
      g.writeArrayFieldStart("events");
      for (SpanRecord.Event e : s.events()) {
        g.writeStartObject();
        g.writeStringField("timeUnixNano", Long.toUnsignedString(e.epochNanos()));
        g.writeStringField("name", e.name());
        attributesField(g, e.attributes());
        g.writeEndObject();
      }
      g.writeEndArray();
    }
    if (!s.links().isEmpty()) {
      g.writeArrayFieldStart("links");
      for (SpanRecord.Link l : s.links()) {
        g.writeStartObject();
        g.writeStringField("traceId", l.traceId());
        g.writeStringField("spanId", l.spanId());
        if (!l.traceState().isEmpty()) {
          g.writeStringField("traceState", l.traceState());
        }
        attributesField(g, l.attributes());
        g.writeEndObject();
      }
      g.writeEndArray();
    }
    g.writeObjectFieldStart("status");
    if (!s.statusMessage().isEmpty()) {
      g.writeStringField("message", s.statusMessage());
    }
    if (s.statusCode().ordinal() != 0) {
      g.writeNumberField("code", s.statusCode().ordinal());
    }
    g.writeEndObject();
    g.writeEndObject();
  }

  /** {@code "attributes":[{key, value}]} as a field of the current object, in map order. */
  public static void attributesField(JsonGenerator g, Map<String, Object> attrs) throws IOException {
    if (attrs.isEmpty()) {
      return;
    }
    g.writeArrayFieldStart("attributes");
    keyValues(g, attrs);
    g.writeEndArray();
  }

  private static void keyValues(JsonGenerator g, Map<?, ?> attrs) throws IOException {
    for (Map.Entry<?, ?> e : attrs.entrySet()) {
      g.writeStartObject();
      g.writeStringField("key", String.valueOf(e.getKey()));
      g.writeFieldName("value");
      anyValue(g, e.getValue());
      g.writeEndObject();
    }
  }

  /** An OTLP {@code AnyValue}. */
  static void anyValue(JsonGenerator g, Object v) throws IOException {
    g.writeStartObject();
    if (v instanceof String s) {
      g.writeStringField("stringValue", s);
    } else if (v instanceof Boolean b) {
      g.writeBooleanField("boolValue", b);
    } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      g.writeStringField("intValue", v.toString());
    } else if (v instanceof Double || v instanceof Float) {
      double d = ((Number) v).doubleValue();
      if (Double.isNaN(d)) {
        g.writeStringField("doubleValue", "NaN");
      } else if (Double.isInfinite(d)) {
        g.writeStringField("doubleValue", d > 0 ? "Infinity" : "-Infinity");
      } else {
        g.writeNumberField("doubleValue", d);
      }
    } else if (v instanceof byte[] b) {
      g.writeStringField("bytesValue", Base64.getEncoder().encodeToString(b));
    } else if (v instanceof List<?> list) {
      g.writeObjectFieldStart("arrayValue");
      g.writeArrayFieldStart("values");
      for (Object x : list) {
        anyValue(g, x);
      }
      g.writeEndArray();
      g.writeEndObject();
    } else if (v instanceof Map<?, ?> m) {
      g.writeObjectFieldStart("kvlistValue");
      g.writeArrayFieldStart("values");
      keyValues(g, m);
      g.writeEndArray();
      g.writeEndObject();
    } else if (v != null) {
      g.writeStringField("stringValue", v.toString());
    }
    g.writeEndObject();
  }
}
